"""The one list of alert types: each with the kind its outbox row is filed under, the message it is
rendered with, the version of its payload's shape and its priority for Telegram's budget.

Version 1 is the shape the payloads have had since before alerts were typed: the types' field names are
those payloads' keys, so a row written then still decodes. Change a type's fields incompatibly and its
version goes up (keep a way to read the old one, or such rows are marked undeliverable)."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.alerts.account import (
    AccountConnected,
    AccountShared,
    FeedRestored,
    FeedStale,
    TradingDayUnknown,
    TradingLocked,
    TradingUnlocked,
)
from core.domain.alerts.affiliates import CommissionEarned, CommissionReversed, PayoutReturned, PayoutSent
from core.domain.alerts.audit import AuditAnchor  # issue 13
from core.domain.alerts.base import AlertBody
from core.domain.alerts.digest import AdminDigest
from core.domain.alerts.fraud import FraudDecided, FraudFlagged, FraudHold  # issue 11
from core.domain.alerts.halt import HaltEnded, HaltStarted
from core.domain.alerts.liquidation import (
    BreachOffline,
    DrawdownWarning,
    FastMarket,
    Liquidated,
    LiquidationNow,
    LiquidationOverdue,
    LiquidationRetrying,
    LiquidationWarning,
)
from core.domain.alerts.market import MarketGap, MarketSpread, MarketStale
from core.domain.alerts.reconciliation import DivergenceCritical, DivergenceFound
from core.domain.alerts.referrals import ReferralSignedUp  # issue 11
from core.domain.alerts.signals import SignalReceived
from core.domain.alerts.system import SystemDegraded, SystemRecovered  # issue 13: monitoring

# Who gets Telegram's ~30 messages a second first (bot/budget.py): liquidation and market-guard alerts,
# then replies to a person waiting, then warnings, then digests and broadcasts.
URGENT, REPLY, WARNING, BULK = "urgent", "reply", "warning", "bulk"
PRIORITIES = (URGENT, REPLY, WARNING, BULK)


@dataclass(frozen=True)
class AlertSpec:
    kind: str
    message_id: str
    version: int
    priority: str = WARNING


def _spec(kind: str, priority: str = WARNING, version: int = 1) -> AlertSpec:
    return AlertSpec(kind, f"alert.{kind}", version, priority)


REGISTRY: dict[type[AlertBody], AlertSpec] = {
    AccountConnected: _spec("account_connected"),
    AccountShared: _spec("account_shared"),
    FeedStale: _spec("feed_stale"),
    FeedRestored: _spec("feed_restored"),
    TradingLocked: _spec("trading_locked"),
    TradingUnlocked: _spec("trading_unlocked"),
    TradingDayUnknown: _spec("trading_day_unknown"),
    DrawdownWarning: _spec("drawdown_warning"),
    LiquidationWarning: _spec("liquidation_warning"),
    LiquidationNow: _spec("liquidation_now", URGENT),
    FastMarket: _spec("fast_market", URGENT),
    LiquidationRetrying: _spec("liquidation_retrying", URGENT),
    Liquidated: _spec("liquidated", URGENT),
    LiquidationOverdue: _spec("admin_liquidation_overdue", URGENT),
    BreachOffline: _spec("admin_breach_offline", URGENT),
    MarketGap: _spec("market_gap", URGENT),
    MarketSpread: _spec("market_spread", URGENT),
    MarketStale: _spec("market_stale", URGENT),
    HaltStarted: _spec("trading_halted", BULK),
    HaltEnded: _spec("trading_resumed", BULK),
    AdminDigest: _spec("admin_liquidation_digest", BULK),
    SignalReceived: _spec("signal", REPLY),
    DivergenceFound: _spec("divergence"),
    DivergenceCritical: _spec("admin_divergence", URGENT),
    FraudFlagged: _spec("admin_fraud_flagged"),  # issue 11: fraud
    FraudHold: _spec("fraud_hold"),
    FraudDecided: _spec("fraud_decided"),
    # issue 11: the ledger and payouts, to the affiliate
    CommissionEarned: _spec("commission_earned", BULK),
    CommissionReversed: _spec("commission_reversed"),
    PayoutSent: _spec("payout_sent"),
    ReferralSignedUp: _spec("referral_signed_up"),  # issue 11
    PayoutReturned: _spec("payout_returned"),  # issue 11: a failed payout, owed again
    SystemDegraded: _spec("admin_system_degraded", URGENT),  # issue 13: monitoring
    SystemRecovered: _spec("admin_system_recovered", URGENT),
    AuditAnchor: _spec("admin_audit_anchor", BULK),  # issue 13: once per UTC day, to every admin
}
BY_KIND: dict[str, type[AlertBody]] = {spec.kind: alert_type for alert_type, spec in REGISTRY.items()}


class UnknownAlert(LookupError):
    """A type that is not registered, or a stored kind or version no type has (any more)."""


def priority_of(alert: AlertBody) -> str:
    """The alert's place in Telegram's budget; an alert no type reads waits with the warnings."""
    spec = REGISTRY.get(type(alert))
    return spec.priority if spec is not None else WARNING


def spec_of(alert: AlertBody) -> AlertSpec:
    spec = REGISTRY.get(type(alert))
    if spec is None:
        raise UnknownAlert(f"{type(alert).__name__} is not a registered alert type")
    return spec
