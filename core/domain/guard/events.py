"""What the account guard reports, and what it asks the service layer to do.

Reports are named in the past tense (`DrawdownWarned`); requests say what is due
(`CloseAllDue`). Every event of one breach carries its `breach_no`, so the service can key
commands and alerts by `(account_id, breach_no)` and never act twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class BreachReason(StrEnum):
    """Why an account is liquidated; the values are BRIDGE.md's command reasons."""

    MAX_DRAWDOWN = "max_drawdown"
    MIN_EQUITY = "min_equity"
    DAILY_LOSS = "daily_loss"
    ADMIN = "admin"


class CloseAckStatus(StrEnum):
    """The EA's answer to a `close_all` command (BRIDGE.md, POST /v1/bridge/commands/{id}/ack)."""

    DONE = "done"
    PARTIAL = "partial"
    FAILED = "failed"


class GraceCut(StrEnum):
    """Why the rest of a grace was skipped and the account closed out at once."""

    DEEPENED = "deepened"  # the drawdown deepened by fast_market_points from where it was at the breach
    FAST_MARKET = "fast_market"  # the drawdown deepened that much within fast_market_window_seconds
    MARKET_ALARM = "market_alarm"  # a market guard fired on a symbol the account holds
    MIN_EQUITY = "min_equity"  # the equity fell below min_equity


LOCKED_REASON = "locked"
ADMIN_REASON = "admin"


@dataclass(frozen=True)
class GuardEvent:
    """Base of everything the guard reports or requests."""


@dataclass(frozen=True)
class DrawdownWarned(GuardEvent):
    level: Decimal
    drawdown_percent: Decimal
    peak_equity: Decimal
    equity: Decimal


@dataclass(frozen=True)
class LiquidationTriggered(GuardEvent):
    """A breach: the account will be closed out when the grace ends (at once with grace 0)."""

    breach_no: int
    reason: BreachReason
    drawdown_percent: Decimal
    equity: Decimal
    grace_until: datetime


@dataclass(frozen=True)
class CloseAllDue(GuardEvent):
    """Issue `close_all` and `lock` with `reason`: emitted exactly once per breach."""

    breach_no: int
    reason: BreachReason


@dataclass(frozen=True)
class GraceCutShort(GuardEvent):
    """The grace ended early: `CloseAllDue` follows in the same step. `from_percent`: the drawdown the
    deepening is measured from (at the breach, or the shallowest of the fast-market window);
    `symbols`: those a market guard fired on (for `MARKET_ALARM`)."""

    breach_no: int
    cause: GraceCut
    from_percent: Decimal
    drawdown_percent: Decimal
    equity: Decimal
    symbols: tuple[str, ...] = ()


@dataclass(frozen=True)
class FastMarketDetected(GuardEvent):
    """The drawdown deepened from `from_percent` to `to_percent` within `seconds`: once per episode."""

    episode: int
    from_percent: Decimal
    to_percent: Decimal
    seconds: int


@dataclass(frozen=True)
class CloseAllFailed(GuardEvent):
    """The EA could not close out (e.g. market closed); a retry is due at `next_retry_at`."""

    breach_no: int
    attempt: int
    next_retry_at: datetime


@dataclass(frozen=True)
class CloseAllPartial(GuardEvent):
    """The EA closed only some positions; a new attempt is due at `next_retry_at`."""

    breach_no: int
    attempt: int
    next_retry_at: datetime


@dataclass(frozen=True)
class CloseAllRetryDue(GuardEvent):
    """Issue `close_all` again (after a failed or partial attempt, an expired command, or positions
    seen after a `done`); `attempt` is 2 for the first retry. Any earlier attempt still pending is
    superseded. `open_tickets`: the positions that made it due, when a snapshot did.

    Key the command by `(account_id, breach_no, attempt)`."""

    breach_no: int
    reason: BreachReason
    attempt: int
    open_tickets: tuple[int, ...] = ()


@dataclass(frozen=True)
class LiquidationCompleted(GuardEvent):
    breach_no: int


@dataclass(frozen=True)
class LiquidationOverdue(GuardEvent):
    """For admins: not done and flat `verify_timeout_seconds` after `CloseAllDue` (once per breach)."""

    breach_no: int
    open_tickets: tuple[int, ...]
    acknowledged: CloseAckStatus | None


@dataclass(frozen=True)
class ClosePositionRequired(GuardEvent):
    """Issue `close_position` for a position that appeared while trading is locked (once per ticket)."""

    ticket: int
    reason: str = LOCKED_REASON
    round: int = 0  # a ticket still open after its request is asked again in a later round


@dataclass(frozen=True)
class FeedStale(GuardEvent):
    """No snapshot for `stale_feed_seconds`: the account is unprotected."""

    last_snapshot_at: datetime
    during_breach: bool


@dataclass(frozen=True)
class FeedRestored(GuardEvent):
    """A snapshot arrived after the feed was declared stale."""

    last_snapshot_at: datetime


@dataclass(frozen=True)
class BreachWhileOffline(GuardEvent):
    """For admins: a breach is pending or being liquidated while the EA sends nothing."""

    breach_no: int
    reason: BreachReason


@dataclass(frozen=True)
class TradingLocked(GuardEvent):
    """Issue `lock` (an admin lock; a liquidation's lock comes with `CloseAllDue`)."""

    reason: str = ADMIN_REASON


@dataclass(frozen=True)
class TradingUnlocked(GuardEvent):
    """Issue `unlock`."""

    reason: str = ADMIN_REASON


@dataclass(frozen=True)
class LiquidationCancelled(GuardEvent):
    """An admin cancelled a breach in progress: its pending `close_all` and `lock` are withdrawn."""

    breach_no: int


@dataclass(frozen=True)
class PeakReset(GuardEvent):
    previous_peak: Decimal
    peak_equity: Decimal


@dataclass(frozen=True)
class TradingDayOpenUnknown(GuardEvent):
    """The first snapshot of trading day `day` came after a silence, and its deals do not explain how the
    balance moved since: the balance at the day's start is unknown. The day's loss is measured from
    `day_open_balance` (this snapshot's), which may be too lenient: tell the trader and the admins."""

    day: str
    day_open_balance: Decimal
    last_contact: datetime
