"""The one list of alert types: each with the kind its outbox row is filed under, the message it is
rendered with and the version of its payload's shape.

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
from core.domain.alerts.base import AlertBody
from core.domain.alerts.digest import AdminDigest
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


@dataclass(frozen=True)
class AlertSpec:
    kind: str
    message_id: str
    version: int


def _spec(kind: str, version: int = 1) -> AlertSpec:
    return AlertSpec(kind, f"alert.{kind}", version)


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
    LiquidationNow: _spec("liquidation_now"),
    FastMarket: _spec("fast_market"),
    LiquidationRetrying: _spec("liquidation_retrying"),
    Liquidated: _spec("liquidated"),
    LiquidationOverdue: _spec("admin_liquidation_overdue"),
    BreachOffline: _spec("admin_breach_offline"),
    MarketGap: _spec("market_gap"),
    MarketSpread: _spec("market_spread"),
    MarketStale: _spec("market_stale"),
    HaltStarted: _spec("trading_halted"),
    HaltEnded: _spec("trading_resumed"),
    AdminDigest: _spec("admin_liquidation_digest"),
}
BY_KIND: dict[str, type[AlertBody]] = {spec.kind: alert_type for alert_type, spec in REGISTRY.items()}


class UnknownAlert(LookupError):
    """A type that is not registered, or a stored kind or version no type has (any more)."""


def spec_of(alert: AlertBody) -> AlertSpec:
    spec = REGISTRY.get(type(alert))
    if spec is None:
        raise UnknownAlert(f"{type(alert).__name__} is not a registered alert type")
    return spec
