"""Composition of the affiliate programme (issue 11, docs/affiliates.md), kept out of bot/app.py: the
payments, ledger, payouts and fraud services built from the settings, the ledger rung after a payment,
and the operator routes and bridge sightings recorder on the HTTP app."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, TypedDict

from aiohttp import web

from core.api.affiliate_routes import add_affiliate_routes
from core.api.bridge import SIGHTINGS
from core.api.payment_routes import add_payment_routes
from core.config import Settings
from core.domain.affiliates.commission import CommissionRules
from core.domain.affiliates.fraud import FraudConfig
from core.services.affiliate_stats import AffiliateStatsService
from core.services.fraud import FraudPolicy, FraudService
from core.services.fraud_sightings import NonceGate, SightingRecorder
from core.services.halt import RequireAdmin
from core.services.ledger import LedgerPolicy, LedgerService
from core.services.payments import PaymentService
from core.services.payouts import ManualGateway, PayoutService
from core.services.ports import Clock, Doorbell, UnitOfWorkFactory
from core.services.referrals import ReferralService

if TYPE_CHECKING:
    from bot.app import Core

log = logging.getLogger(__name__)


class AffiliateServices(TypedDict):
    referrals: ReferralService
    affiliate_stats: AffiliateStatsService
    payments: PaymentService
    ledger: LedgerService
    payouts: PayoutService
    fraud: FraudService


def ledger_policy(settings: Settings) -> LedgerPolicy:
    rules = CommissionRules(
        settings.affiliate_commission_tier_1,
        settings.affiliate_commission_tier_2,
        settings.affiliate_performance_bonus,
        settings.affiliate_hold_days,
        settings.affiliate_rebate_per_lot,
    )
    hold = timedelta(seconds=settings.fraud_wash_min_hold_seconds)
    return LedgerPolicy(rules, settings.affiliate_rebate_currency, hold)


def fraud_policy(settings: Settings) -> FraudPolicy:
    config = FraudConfig(
        threshold=settings.fraud_score_threshold,
        wash_min_hold=timedelta(seconds=settings.fraud_wash_min_hold_seconds),
    )
    return FraudPolicy(config, settings.admin_telegram_ids)


def ring(run: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
    """After a payment is committed, ledger it at once (the payer's answer waits the few milliseconds a pass
    takes, and nothing runs on after a shutdown); a pass that fails is logged and never fails the payment:
    the worker's sweep catches up."""

    async def rung() -> None:
        try:
            await run()
        except Exception as error:
            log.warning("ledger pass after a payment failed (the sweep retries): %s", error)

    return rung


def affiliate_services(
    settings: Settings, uow: UnitOfWorkFactory, require_admin: RequireAdmin, doorbell: Doorbell, clock: Clock
) -> AffiliateServices:
    ledger = LedgerService(uow, doorbell, clock, ledger_policy(settings))
    return AffiliateServices(
        referrals=ReferralService(uow, clock, doorbell),
        affiliate_stats=AffiliateStatsService(uow, require_admin, clock),
        payments=PaymentService(
            uow, clock, settings.subscription_plans, require_admin, ring(ledger.run_once)
        ),
        ledger=ledger,
        payouts=PayoutService(
            uow, require_admin, ManualGateway(), doorbell, clock, settings.affiliate_min_payout
        ),
        fraud=FraudService(uow, require_admin, doorbell, clock, fraud_policy(settings)),
    )


def add_affiliate_http(app: web.Application, core: Core) -> None:
    """The operator routes (POST /v1/payments/events, GET /v1/affiliates/summary) and the bridge
    sightings: every authenticated bridge request notes its peer address (core/api/bridge.py), off its
    path, gated hourly through the bridge's own nonce store (Redis)."""
    add_payment_routes(app, core.bot_services.payments)
    add_affiliate_routes(app, core.bot_services.affiliate_stats)
    ports, health = core.bridge.ports, core.health.track("bridge-sightings")
    recorder = SightingRecorder(ports.uow, NonceGate(ports.nonces), core.clock, health)
    app[SIGHTINGS] = recorder

    async def drain(_: web.Application) -> None:  # the sightings in flight finish before the pools close
        await recorder.drain()

    app.on_shutdown.append(drain)
