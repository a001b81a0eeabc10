"""Alerts of the drawdown guard: warnings, a breach and its liquidation, and what admins must hear."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from core.domain.alerts.base import AccountAlert, ClosedPosition
from core.domain.guard.events import BreachReason, GraceCut


@dataclass(frozen=True, kw_only=True)
class DrawdownWarning(AccountAlert):
    level: Decimal
    drawdown_percent: Decimal
    peak_equity: Decimal
    equity: Decimal


@dataclass(frozen=True, kw_only=True)
class LiquidationWarning(AccountAlert):
    """A breach: the account is closed out in `grace_seconds` (0: at once)."""

    breach_no: int
    reason: BreachReason
    drawdown_percent: Decimal
    equity: Decimal
    grace_until: datetime
    grace_seconds: int


@dataclass(frozen=True, kw_only=True)
class LiquidationNow(AccountAlert):
    """The rest of the grace was skipped (GraceCutShort); `symbols` for a market alarm."""

    breach_no: int
    cause: GraceCut
    from_percent: Decimal
    drawdown_percent: Decimal
    equity: Decimal
    symbols: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class FastMarket(AccountAlert):
    episode: int
    from_percent: Decimal
    to_percent: Decimal
    seconds: int


@dataclass(frozen=True, kw_only=True)
class LiquidationRetrying(AccountAlert):
    """Close-all attempt number `attempt` failed or closed only part; the next is due at `next_retry_at`."""

    attempt: int
    next_retry_at: datetime


@dataclass(frozen=True, kw_only=True)
class Liquidated(AccountAlert):
    """Closed out and flat: what the EA closed, and the profit it realised (the sum of `closed`)."""

    closed: tuple[ClosedPosition, ...]
    realised: Decimal


@dataclass(frozen=True, kw_only=True)
class LiquidationOverdue(AccountAlert):
    """For admins: a liquidation not confirmed in time."""

    open_tickets: tuple[int, ...]
    last_contact: datetime


@dataclass(frozen=True, kw_only=True)
class BreachOffline(AccountAlert):
    """For admins: a breach while the EA sends nothing, so nobody can act on it but them."""

    reason: BreachReason
    last_contact: datetime
