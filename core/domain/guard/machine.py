"""The account guard: peak equity, drawdown warnings, and auto-liquidation, per account.

Pure and synchronous; time is always an argument. The service layer calls
`observe` with each accepted snapshot and `tick` periodically (e.g. every few seconds), saves
the new state (`GuardState.to_dict()`) and turns the returned events into commands and
alerts in the same transaction. Everything public is importable from here.

Decisions where the product rules are silent:
- Unknown is not flat: `tick` declares the feed stale after `stale_feed_seconds` without a
  snapshot. A breach is only ever triggered by a fresh snapshot, never by `tick`. But a grace
  that ends while the feed is stale still issues `close_all` (`CloseAllDue` from `tick`): the
  breach was seen on fresh data, and the command waits in the queue and reaches the EA with
  its very next request, which beats holding it back.
- Several limits breached at once: the reason is the first of drawdown, daily loss, minimum
  equity. Warning levels crossed by the same snapshot make one warning, naming the deepest, reported
  before the breach.
- The equity rules (drawdown, daily loss, minimum equity, warnings) are armed once the account is
  funded (equity above 0 and at least `min_equity`): a new, empty account is not liquidated on link,
  and a withdrawal that empties an account disarms them until it is funded again. The first
  snapshot's cash flows are already in its equity, so they move nothing.
- The trading day only moves forward: a snapshot received late, stamped before the current day began,
  counts in the current day. A new day's opening balance is the balance at the boundary, rebuilt from
  the deals done after it when the day's first snapshot comes late (`day.open_new_day`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from core.domain.guard.admin import (
    GuardActionRejected,
    admin_liquidate,
    admin_lock,
    admin_reset_peak,
    admin_unlock,
)
from core.domain.guard.config import (
    DailyLossBase,
    GuardConfig,
    GuardConfigError,
    PersonalLimitError,
    trading_day_key,
    trading_day_start,
    validate_personal_limit,
)
from core.domain.guard.day import day_base, open_new_day
from core.domain.guard.events import (
    BreachReason,
    BreachWhileOffline,
    CloseAckStatus,
    CloseAllDue,
    CloseAllFailed,
    CloseAllPartial,
    CloseAllRetryDue,
    ClosePositionRequired,
    DrawdownWarned,
    FastMarketDetected,
    FeedRestored,
    FeedStale,
    GraceCut,
    GraceCutShort,
    GuardEvent,
    LiquidationCancelled,
    LiquidationCompleted,
    LiquidationOverdue,
    LiquidationTriggered,
    PeakReset,
    TradingDayOpenUnknown,
    TradingLocked,
    TradingUnlocked,
)
from core.domain.guard.fast import watch_fast_market
from core.domain.guard.liquidation import (
    Step,
    advance_liquidation,
    close_all_acknowledged,
    cut_grace_short,
    open_breach,
    reclose_if_open,
)
from core.domain.guard.rules import (
    RETRY_MAX_SECONDS,
    bounded,
    breaches_at_once,
    find_breach,
    is_funded,
    rescale_for_cash_flow,
    still_funded,
    update_warnings,
)
from core.domain.guard.state import (
    BREACH_IN_PROGRESS,
    WATCHING,
    BalanceDeal,
    GuardState,
    GuardStatus,
    Observation,
    require_aware,
)

__all__ = [
    "BREACH_IN_PROGRESS",
    "WATCHING",
    "BalanceDeal",
    "BreachReason",
    "BreachWhileOffline",
    "CloseAckStatus",
    "CloseAllDue",
    "CloseAllFailed",
    "CloseAllPartial",
    "CloseAllRetryDue",
    "ClosePositionRequired",
    "DailyLossBase",
    "DrawdownWarned",
    "FastMarketDetected",
    "FeedRestored",
    "FeedStale",
    "GraceCut",
    "GraceCutShort",
    "GuardActionRejected",
    "GuardConfig",
    "GuardConfigError",
    "GuardEvent",
    "GuardState",
    "GuardStatus",
    "LiquidationCancelled",
    "LiquidationCompleted",
    "LiquidationOverdue",
    "LiquidationTriggered",
    "Observation",
    "PeakReset",
    "PersonalLimitError",
    "TradingDayOpenUnknown",
    "TradingLocked",
    "TradingUnlocked",
    "admin_liquidate",
    "admin_lock",
    "admin_reset_peak",
    "admin_unlock",
    "breaches_at_once",
    "close_all_acknowledged",
    "next_deadline",
    "observe",
    "tick",
    "trading_day_key",
    "trading_day_start",
    "validate_personal_limit",
]


def observe(state: GuardState | None, obs: Observation, config: GuardConfig) -> Step:
    """Take in one accepted snapshot (`state` is None for an account's first one)."""
    events: list[GuardEvent] = []
    if state is None:
        state = _first_state(obs, config)
    else:
        if state.stale:
            events.append(FeedRestored(state.last_snapshot_at))
        state, recorded = _record(state, obs, config)
        events += recorded
    state, fast, fast_events = watch_fast_market(state, obs.time, config)
    state = _arm_min_equity(state, config)
    state, judged = _judge(state, obs.time, config)
    state, cut = cut_grace_short(state, obs, fast, config)
    state, lifecycle = advance_liquidation(state, obs.time, config)
    state, reclosed = reclose_if_open(state, obs.time)
    state, enforced = _enforce_lock(state, obs.open_tickets, obs.time)
    judged = _grace_ends_now(judged, obs.time) if cut else judged
    return state, events + fast_events + judged + cut + lifecycle + reclosed + enforced


def tick(state: GuardState, now: datetime, config: GuardConfig) -> Step:
    """What time alone makes due: a stale feed, the end of a grace, a retry, an overdue liquidation."""
    require_aware(now, "now")
    state, stale = _declare_stale_if_silent(state, now, config)
    state, lifecycle = advance_liquidation(state, now, config)
    return state, stale + lifecycle


def _first_state(obs: Observation, config: GuardConfig) -> GuardState:
    return GuardState(
        status=GuardStatus.NORMAL,
        peak_equity=bounded(obs.equity),
        last_equity=obs.equity,
        last_balance=obs.balance,
        last_open_tickets=obs.open_tickets,
        last_snapshot_at=obs.time,
        day_key=trading_day_key(obs.time, config),
        day_open_balance=day_base(obs.balance, obs.equity, config),
        funded=is_funded(obs.equity, config),
    )


def _record(state: GuardState, obs: Observation, config: GuardConfig) -> Step:
    """Move peak and day open with the cash flows, start a new trading day, keep the snapshot."""
    flow = obs.net_cash_flow
    peak = rescale_for_cash_flow(state.peak_equity, obs.equity, flow)
    day_key = trading_day_key(obs.time, config)
    events: list[GuardEvent] = []
    if day_key <= state.day_key:  # ISO dates: the day only moves forward, a late snapshot stays in it
        day_key = state.day_key
        day_open = rescale_for_cash_flow(state.day_open_balance, obs.equity, flow)
    else:
        day_open, events = open_new_day(state, obs, day_key, config)
    funded = still_funded(state.funded, obs.equity, flow, config)
    if funded and not state.funded:  # armed now: the guard starts from this snapshot, as on link
        peak, day_open = obs.equity, day_base(obs.balance, obs.equity, config)
    recorded = replace(
        state,
        peak_equity=bounded(max(peak, obs.equity)),
        last_equity=obs.equity,
        last_balance=obs.balance,
        last_open_tickets=obs.open_tickets,
        last_snapshot_at=max(state.last_snapshot_at, obs.time),
        stale=False,
        day_key=day_key,
        day_open_balance=day_open,
        funded=funded,
    )
    return recorded, events


def _judge(state: GuardState, now: datetime, config: GuardConfig) -> Step:
    """Warnings, then a breach. A breach in progress or done is final, so it is not judged again;
    an account not funded is not judged at all."""
    if state.status not in WATCHING:
        return state, []
    if not state.funded:  # nothing to guard: no warning stands, the next funding starts afresh
        return replace(state, status=GuardStatus.NORMAL, warned_levels=(), warning_rearm_since=()), []
    drawdown = state.exact_drawdown
    rearm_after = timedelta(seconds=config.warning_rearm_seconds)
    warned, rearming, crossed = update_warnings(
        state.warned_levels, state.warning_rearm_since, drawdown, config.warning_levels, now, rearm_after
    )
    status = GuardStatus.WARNING if warned else GuardStatus.NORMAL
    state = replace(state, warned_levels=warned, warning_rearm_since=rearming, status=status)
    events: list[GuardEvent] = []
    if crossed:  # several levels crossed at once: one warning, naming the deepest
        deepest = crossed[-1]
        events.append(DrawdownWarned(deepest, state.drawdown_percent, state.peak_equity, state.last_equity))
    reason = find_breach(state, config)
    if reason is None:
        return state, events
    state, triggered = open_breach(state, reason, now, config.grace_seconds)
    return state, [*events, triggered]


def _grace_ends_now(events: list[GuardEvent], now: datetime) -> list[GuardEvent]:
    """A breach whose grace is cut short by the very snapshot that made it: its warning says 'now'."""
    return [replace(e, grace_until=now) if isinstance(e, LiquidationTriggered) else e for e in events]


def _arm_min_equity(state: GuardState, config: GuardConfig) -> GuardState:
    """After an admin's fresh start the minimum equity counts again once the equity has reached it."""
    if state.min_equity_armed or state.last_equity < config.min_equity:
        return state
    return replace(state, min_equity_armed=True)


def _enforce_lock(state: GuardState, open_tickets: tuple[int, ...], now: datetime) -> Step:
    """While locked (and no close_all is under way), every position opened since the lock must be
    closed: a new one at once, one still open asked again at most once a minute (RETRY_MAX_SECONDS),
    each request replacing the one before for that ticket."""
    if not state.locked or state.status in BREACH_IN_PROGRESS:
        return state, []
    exempt = set(state.lock_exempt_tickets)
    held = [ticket for ticket in dict.fromkeys(open_tickets) if ticket not in exempt]
    new = tuple(ticket for ticket in held if ticket not in state.close_requested_tickets)
    again = tuple(ticket for ticket in held if ticket in state.close_requested_tickets)
    if not _ask_again(state, now):
        again = ()
    if not new and not again:
        return state, []
    round_no = state.close_position_round  # counts on across locks: each round's keys are new
    requested = replace(
        state,
        close_requested_tickets=state.close_requested_tickets + new,
        close_position_round=round_no + 1,
        close_position_at=now,
    )
    return requested, [ClosePositionRequired(ticket, round=round_no) for ticket in new + again]


def _ask_again(state: GuardState, now: datetime) -> bool:
    asked = state.close_position_at
    return asked is not None and now >= asked + timedelta(seconds=RETRY_MAX_SECONDS)


def _declare_stale_if_silent(state: GuardState, now: datetime, config: GuardConfig) -> Step:
    silent_since = now - state.last_snapshot_at
    if state.stale or silent_since < timedelta(seconds=config.stale_feed_seconds):
        return state, []
    during_breach = state.status in BREACH_IN_PROGRESS
    events: list[GuardEvent] = [FeedStale(state.last_snapshot_at, during_breach)]
    if during_breach:
        assert state.breach_reason is not None
        events.append(BreachWhileOffline(state.breach_no, state.breach_reason))
    return replace(state, stale=True), events


def next_deadline(state: GuardState, config: GuardConfig) -> datetime | None:
    """The first moment at which `tick` could change `state` (None: only a snapshot or an admin can).

    Stored beside the state, it lets a periodic worker look only at the accounts that are due.
    """
    moments: list[datetime] = []
    if not state.stale:
        moments.append(state.last_snapshot_at + timedelta(seconds=config.stale_feed_seconds))
    if state.status is GuardStatus.LIQUIDATION_PENDING and state.grace_until is not None:
        moments.append(state.grace_until)
    if state.status is GuardStatus.LIQUIDATING:
        if state.next_retry_at is not None:
            moments.append(state.next_retry_at)
        if not state.overdue_reported and state.close_issued_at is not None:
            moments.append(state.close_issued_at + timedelta(seconds=config.verify_timeout_seconds))
    return min(moments, default=None)
