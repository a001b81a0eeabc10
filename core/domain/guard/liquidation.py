"""A breach's life: triggered, grace, close_all issued, acknowledged, verified flat (or overdue).

```
normal/warning --breach--> liquidation_pending --grace ends--> liquidating --done ack + flat--> liquidated
```
A breach is final: nothing here goes back to normal. Only an admin action does (guard/admin.py).

A grace never lets a crash run (`cut_grace_short`): during it, a fast market, a drawdown deepened by
`fast_market_points` since the breach, a market guard firing on a held symbol, or the equity under
`min_equity` closes out at once, the breach reason kept.

Liquidating is not done until a flat snapshot follows a `done`: a snapshot that still shows
positions after a `done` (or after the last close_all expired unanswered) makes a new close_all due
(`reclose_if_open`), after the retry back-off and at most `MAX_CLOSE_ATTEMPTS` attempts per breach;
a `partial` schedules a new attempt like a `failed` one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from core.domain.commands import COMMAND_TTL_SECONDS
from core.domain.guard.config import GuardConfig
from core.domain.guard.events import (
    BreachReason,
    CloseAckStatus,
    CloseAllDue,
    CloseAllFailed,
    CloseAllPartial,
    CloseAllRetryDue,
    GraceCut,
    GraceCutShort,
    GuardEvent,
    LiquidationCompleted,
    LiquidationOverdue,
    LiquidationTriggered,
)
from core.domain.guard.fast import FastMove
from core.domain.guard.rules import retry_delay
from core.domain.guard.state import GuardState, GuardStatus, Observation, require_aware

Step = tuple[GuardState, list[GuardEvent]]
# Re-closes because positions are still seen stop here (failed acks retry on: a market closed for the
# weekend must be closed out when it opens); the admins have had the overdue alert long before.
MAX_CLOSE_ATTEMPTS = 20


def open_breach(
    state: GuardState, reason: BreachReason, now: datetime, grace_seconds: int, note: str = ""
) -> tuple[GuardState, LiquidationTriggered]:
    grace_until = now + timedelta(seconds=grace_seconds)
    breached = replace(
        _without_breach(state),
        status=GuardStatus.LIQUIDATION_PENDING,
        breach_no=state.breach_no + 1,
        breach_reason=reason,
        breach_note=note,
        breach_at=now,
        grace_until=grace_until,
        breach_drawdown_percent=state.drawdown_percent,
    )
    triggered = LiquidationTriggered(
        breach_no=breached.breach_no,
        reason=reason,
        drawdown_percent=state.drawdown_percent,
        equity=state.last_equity,
        grace_until=grace_until,
    )
    return breached, triggered


def issue_close_all(state: GuardState, now: datetime) -> tuple[GuardState, CloseAllDue]:
    """End the grace: close_all + lock are due. Called only in liquidation_pending: once per breach."""
    assert state.status is GuardStatus.LIQUIDATION_PENDING and state.breach_reason is not None
    closing = replace(
        state,
        status=GuardStatus.LIQUIDATING,
        close_issued_at=now,
        last_close_at=now,
        close_attempts=1,
        locked=True,
        locked_at=state.locked_at or now,
        lock_exempt_tickets=(),
    )
    return closing, CloseAllDue(breach_no=state.breach_no, reason=state.breach_reason)


def cut_grace_short(state: GuardState, obs: Observation, fast: FastMove | None, config: GuardConfig) -> Step:
    """Skip the rest of a grace when the market will not wait: close_all now, reason kept."""
    if state.status is not GuardStatus.LIQUIDATION_PENDING or _reached(obs.time, state.grace_until):
        return state, []
    found = _grace_cut(state, obs, fast, config)
    if found is None:
        return state, []
    cause, from_percent = found
    symbols = obs.market_alarm if cause is GraceCut.MARKET_ALARM else ()
    cut = GraceCutShort(
        state.breach_no, cause, from_percent, state.drawdown_percent, state.last_equity, symbols
    )
    state, due = issue_close_all(state, obs.time)
    return state, [cut, due]


def _grace_cut(
    state: GuardState, obs: Observation, fast: FastMove | None, config: GuardConfig
) -> tuple[GraceCut, Decimal] | None:
    at_breach = state.breach_drawdown_percent
    if at_breach is None:
        at_breach = state.drawdown_percent
    if state.drawdown_percent - at_breach >= config.fast_market_points:
        return GraceCut.DEEPENED, at_breach
    if fast is not None:  # e.g. in the very snapshot that breached
        return GraceCut.FAST_MARKET, fast.from_percent
    if obs.market_alarm:
        return GraceCut.MARKET_ALARM, at_breach
    if state.min_equity_armed and state.last_equity < config.min_equity:
        return GraceCut.MIN_EQUITY, at_breach
    return None


def reclose_if_open(state: GuardState, now: datetime) -> Step:
    """Positions seen since the last close_all although it was answered `done` (or expired unanswered):
    close_all again, after the back-off since that attempt, at most MAX_CLOSE_ATTEMPTS per breach."""
    if state.status is not GuardStatus.LIQUIDATING or not state.last_open_tickets:
        return state, []
    last = state.last_close_at or state.close_issued_at
    if last is None or state.last_snapshot_at < last or state.close_attempts >= MAX_CLOSE_ATTEMPTS:
        return state, []
    if state.close_ack is CloseAckStatus.DONE:
        due_at = last + retry_delay(state.close_attempts)
    elif state.close_ack is None:
        due_at = last + timedelta(seconds=COMMAND_TTL_SECONDS)
    else:  # failed or partial: a retry is already scheduled
        return state, []
    if now < due_at:
        return state, []
    return _next_attempt(state, now, state.last_open_tickets)


def advance_liquidation(state: GuardState, now: datetime, config: GuardConfig) -> Step:
    """Whatever time alone makes due: the end of the grace, a retry, completion, the overdue report."""
    events: list[GuardEvent] = []
    if state.status is GuardStatus.LIQUIDATION_PENDING and _reached(now, state.grace_until):
        state, due = issue_close_all(state, now)
        events.append(due)
    state, completed = _complete_if_flat(state)
    state, retried = _retry_if_due(state, now)
    state, overdue = _report_if_overdue(state, now, config)
    return state, events + completed + retried + overdue


def close_all_acknowledged(
    state: GuardState, status: CloseAckStatus, now: datetime, *, breach_no: int | None = None
) -> Step:
    """The EA answered the close_all: done waits for a flat snapshot, partial keeps liquidating
    (the command stays pending), failed schedules a retry with back-off (`next_retry_at`).

    An ack outside `liquidating`, for another breach, or a repeated failure is ignored.
    """
    require_aware(now, "now")
    status = CloseAckStatus(status)
    if state.status is not GuardStatus.LIQUIDATING or breach_no not in (None, state.breach_no):
        return state, []
    if status is CloseAckStatus.FAILED:
        return _after_failure(state, now)
    if status is CloseAckStatus.PARTIAL:
        return _after_partial(state, now)
    return _complete_if_flat(replace(state, close_ack=status, next_retry_at=None))


def fresh_episode(state: GuardState) -> GuardState:
    """Start over from the last snapshot, so that snapshot (or an identical one) breaches nothing:
    the peak and the day's opening balance are its equity (a balance above it would count the open
    loss again as the day's loss), warnings and the fast-market history start empty, and the minimum
    equity re-arms only once the equity is at or above it again."""
    return replace(
        _without_breach(state),
        status=GuardStatus.NORMAL,
        peak_equity=state.last_equity,
        day_open_balance=state.last_equity,
        warned_levels=(),
        drawdown_history=(),
        fast_market_at=None,
        min_equity_armed=False,
    )


def _without_breach(state: GuardState) -> GuardState:
    return replace(
        state,
        breach_reason=None,
        breach_note="",
        breach_at=None,
        grace_until=None,
        close_issued_at=None,
        close_ack=None,
        close_attempts=0,
        next_retry_at=None,
        overdue_reported=False,
        breach_drawdown_percent=None,
        last_close_at=None,
    )


def _complete_if_flat(state: GuardState) -> Step:
    """Liquidated once the EA said done and a snapshot taken since the close_all shows no position."""
    if state.status is not GuardStatus.LIQUIDATING or state.close_ack is not CloseAckStatus.DONE:
        return state, []
    if state.last_open_tickets or not _reached(state.last_snapshot_at, state.close_issued_at):
        return state, []
    return replace(state, status=GuardStatus.LIQUIDATED), [LiquidationCompleted(state.breach_no)]


def _after_failure(state: GuardState, now: datetime) -> Step:
    if state.close_ack is CloseAckStatus.FAILED:
        return state, []
    next_retry_at = now + retry_delay(state.close_attempts)
    failed = replace(state, close_ack=CloseAckStatus.FAILED, next_retry_at=next_retry_at)
    return failed, [CloseAllFailed(state.breach_no, state.close_attempts, next_retry_at)]


def _after_partial(state: GuardState, now: datetime) -> Step:
    if state.close_ack is CloseAckStatus.PARTIAL and state.next_retry_at is not None:
        return state, []
    next_retry_at = now + retry_delay(state.close_attempts)
    partial = replace(state, close_ack=CloseAckStatus.PARTIAL, next_retry_at=next_retry_at)
    return partial, [CloseAllPartial(state.breach_no, state.close_attempts, next_retry_at)]


def _retry_if_due(state: GuardState, now: datetime) -> Step:
    if state.status is not GuardStatus.LIQUIDATING or not _reached(now, state.next_retry_at):
        return state, []
    return _next_attempt(state, now)


def _next_attempt(state: GuardState, now: datetime, open_tickets: tuple[int, ...] = ()) -> Step:
    assert state.breach_reason is not None
    attempt = state.close_attempts + 1
    retried = replace(state, close_attempts=attempt, close_ack=None, next_retry_at=None, last_close_at=now)
    return retried, [CloseAllRetryDue(state.breach_no, state.breach_reason, attempt, open_tickets)]


def _report_if_overdue(state: GuardState, now: datetime, config: GuardConfig) -> Step:
    if state.status is not GuardStatus.LIQUIDATING or state.overdue_reported:
        return state, []
    assert state.close_issued_at is not None
    if now < state.close_issued_at + timedelta(seconds=config.verify_timeout_seconds):
        return state, []
    overdue = LiquidationOverdue(state.breach_no, state.last_open_tickets, state.close_ack)
    return replace(state, overdue_reported=True), [overdue]


def _reached(now: datetime, moment: datetime | None) -> bool:
    return moment is not None and now >= moment
