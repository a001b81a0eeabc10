"""Admin actions on an account's guard: the only ways out of a breach or a lock.

- `admin_liquidate`: a manual breach (reason `admin`), closed out at once: the admin already
  confirmed, so there is no grace. On a breach in its grace, it ends the grace now.
- `admin_lock` / `admin_unlock`: a lock forbids new positions; positions open when the lock
  was set may stay (as the EA's `lock` does), any later one must be closed.
- `admin_unlock` on a breach (pending, liquidating or liquidated) cancels or ends it and
  starts a new episode from the last snapshot, a fresh start for every rule
  (`fresh_episode`): peak and the day's opening balance = its equity, no warnings, an
  empty fast-market history, the minimum equity re-armed once reached. Otherwise the very
  next snapshot would breach again. Its pending close_all and lock are withdrawn
  (`LiquidationCancelled`), and so are the lock's close_position requests.
- `admin_reset_peak` starts a new episode the same way. On a liquidated account it ends the
  breach but trading stays locked until `admin_unlock`. It refuses a breach in progress:
  a breach is final, only `admin_unlock` cancels it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from core.domain.guard.events import (
    BreachReason,
    BreachWhileOffline,
    GuardEvent,
    LiquidationCancelled,
    PeakReset,
    TradingLocked,
    TradingUnlocked,
)
from core.domain.guard.liquidation import Step, fresh_episode, issue_close_all, open_breach
from core.domain.guard.state import BREACH_IN_PROGRESS, GuardState, GuardStatus, require_aware


class GuardActionRejected(ValueError):
    """An admin action that does not apply to the account's current state; the message says why."""


def admin_liquidate(state: GuardState, now: datetime, reason: str = "") -> Step:
    """Close the account out now. `reason` is the admin's free-text note (the breach reason is `admin`)."""
    require_aware(now, "now")
    if state.status in (GuardStatus.LIQUIDATING, GuardStatus.LIQUIDATED):
        raise GuardActionRejected(f"the account is already {state.status.value}")
    events: list[GuardEvent] = []
    if state.status is not GuardStatus.LIQUIDATION_PENDING:
        state, triggered = open_breach(state, BreachReason.ADMIN, now, grace_seconds=0, note=reason)
        events.append(triggered)
    state, due = issue_close_all(state, now)
    events.append(due)
    if state.stale:
        assert state.breach_reason is not None
        events.append(BreachWhileOffline(state.breach_no, state.breach_reason))
    return state, events


def admin_lock(state: GuardState, now: datetime) -> Step:
    """Forbid new positions; already locked is a no-op."""
    require_aware(now, "now")
    if state.locked:
        return state, []
    locked = replace(state, locked=True, locked_at=now, lock_exempt_tickets=state.last_open_tickets)
    return locked, [TradingLocked()]


def admin_unlock(state: GuardState, now: datetime) -> Step:
    """Lift the lock and leave any breach; an unlocked account outside a breach is a no-op."""
    require_aware(now, "now")
    events: list[GuardEvent] = []
    if state.status in BREACH_IN_PROGRESS:
        events.append(LiquidationCancelled(state.breach_no))
    if state.status not in (GuardStatus.NORMAL, GuardStatus.WARNING):
        state = fresh_episode(state)
    if state.locked:
        events.append(TradingUnlocked())
    unlocked = replace(
        state, locked=False, locked_at=None, lock_exempt_tickets=(), close_requested_tickets=()
    )
    return unlocked, events


def admin_reset_peak(state: GuardState, now: datetime) -> Step:
    """Make the last snapshot's equity the new peak (and start a new episode)."""
    require_aware(now, "now")
    if state.status in BREACH_IN_PROGRESS:
        raise GuardActionRejected(
            f"breach {state.breach_no} is in progress ({state.status.value}); admin_unlock cancels it"
        )
    reset = fresh_episode(state)
    return reset, [PeakReset(previous_peak=state.peak_equity, peak_equity=reset.peak_equity)]
