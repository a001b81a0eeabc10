"""Composition of the fraud room (issue 11), kept out of bot/app.py (which is at its size limit): the
scan service from the settings, and the bridge sightings recorder on the HTTP app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from aiohttp import web

from core.api.bridge import SIGHTINGS
from core.config import Settings
from core.domain.affiliates.fraud import FraudConfig
from core.services.fraud import FraudPolicy, FraudService, RequireAdmin
from core.services.fraud_sightings import NonceGate, SightingRecorder
from core.services.ports import Doorbell, UnitOfWorkFactory

if TYPE_CHECKING:
    from bot.app import Core


def fraud_policy(settings: Settings) -> FraudPolicy:
    config = FraudConfig(
        threshold=settings.fraud_score_threshold,
        wash_min_hold=timedelta(seconds=settings.fraud_wash_min_hold_seconds),
    )
    return FraudPolicy(config, settings.admin_telegram_ids)


def fraud_service(
    settings: Settings,
    uow: UnitOfWorkFactory,
    require_admin: RequireAdmin,
    doorbell: Doorbell,
    clock: Callable[[], datetime],
) -> FraudService:
    return FraudService(uow, require_admin, doorbell, clock, fraud_policy(settings))


def record_sightings(app: web.Application, core: Core) -> None:
    """Every authenticated bridge request notes its peer address (core/api/bridge.py), off its path,
    gated hourly through the bridge's own nonce store (Redis)."""
    ports, health = core.bridge.ports, core.health.track("bridge-sightings")
    app[SIGHTINGS] = SightingRecorder(ports.uow, NonceGate(ports.nonces), core.clock, health)
