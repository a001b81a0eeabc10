"""A breach's life: triggered, grace, close_all issued, acknowledged, verified flat (or overdue).

```
normal/warning --breach--> liquidation_pending --grace ends--> liquidating --done ack + flat--> liquidated
```
A breach is final: nothing here goes back to normal. Only an admin action does (guard_admin).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from core.domain.guard_config import GuardConfig
from core.domain.guard_events import (
    BreachReason,
    CloseAckStatus,
    CloseAllDue,
    CloseAllFailed,
    CloseAllRetryDue,
    GuardEvent,
    LiquidationCompleted,
    LiquidationOverdue,
    LiquidationTriggered,
)
from core.domain.guard_rules import retry_delay
from core.domain.guard_state import GuardState, GuardStatus, require_aware

Step = tuple[GuardState, list[GuardEvent]]


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
        close_attempts=1,
        locked=True,
        locked_at=state.locked_at or now,
        lock_exempt_tickets=(),
    )
    return closing, CloseAllDue(breach_no=state.breach_no, reason=state.breach_reason)


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
    return _complete_if_flat(replace(state, close_ack=status, next_retry_at=None))


def fresh_episode(state: GuardState) -> GuardState:
    """Start over from the last snapshot: peak and the day's opening balance are its equity and balance."""
    return replace(
        _without_breach(state),
        status=GuardStatus.NORMAL,
        peak_equity=state.last_equity,
        day_open_balance=state.last_balance,
        warned_levels=(),
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


def _retry_if_due(state: GuardState, now: datetime) -> Step:
    if state.status is not GuardStatus.LIQUIDATING or not _reached(now, state.next_retry_at):
        return state, []
    assert state.breach_reason is not None
    attempt = state.close_attempts + 1
    retried = replace(state, close_attempts=attempt, close_ack=None, next_retry_at=None)
    return retried, [CloseAllRetryDue(state.breach_no, state.breach_reason, attempt)]


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
