"""A breach's life: grace, close_all, acknowledgement, verification, lock, and a stale feed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.domain.guard import (
    BreachReason,
    BreachWhileOffline,
    CloseAckStatus,
    CloseAllDue,
    CloseAllFailed,
    CloseAllRetryDue,
    ClosePositionRequired,
    FeedRestored,
    FeedStale,
    GuardConfig,
    GuardState,
    GuardStatus,
    LiquidationCompleted,
    LiquidationOverdue,
    LiquidationTriggered,
    close_all_acknowledged,
    observe,
)
from tests.unit.guard_helpers import at, feed, kinds, of_type, snap, tick_at

GRACE_0 = GuardConfig(grace_seconds=0)


def breached(config: GuardConfig = GuardConfig(), *, tickets: tuple[int, ...] = (1, 2)) -> GuardState:
    """An account that breached its drawdown limit at t=1 s (from a peak seen a minute before: no
    fast market, so a grace runs)."""
    state, _ = feed([snap(10_000, -60, tickets=tickets), snap(7_900, 1, tickets=tickets)], config)
    return state


def liquidating(tickets: tuple[int, ...] = (1, 2)) -> GuardState:
    """close_all issued at t=1 s (grace 0)."""
    return breached(GRACE_0, tickets=tickets)


def test_with_no_grace_close_all_is_due_in_the_same_call_as_the_breach() -> None:
    state, _ = feed([snap(10_000, -60)], GRACE_0)
    state, events = observe(state, snap(7_900, 1), GRACE_0)

    assert kinds(events) == [
        "DrawdownWarned",
        "LiquidationTriggered",
        "CloseAllDue",
    ]  # 10 and 15: one warning
    assert events[-1] == CloseAllDue(breach_no=1, reason=BreachReason.MAX_DRAWDOWN)
    assert (state.status, state.locked, state.close_issued_at) == (GuardStatus.LIQUIDATING, True, at(1))


def test_a_breach_announces_when_its_grace_ends() -> None:
    _, events = feed([snap(10_000, -60), snap(7_900, 1)])

    assert of_type(events, LiquidationTriggered) == [
        LiquidationTriggered(1, BreachReason.MAX_DRAWDOWN, Decimal(21), Decimal(7_900), at(11))
    ]
    assert of_type(events, CloseAllDue) == []


@pytest.mark.parametrize(
    ("how", "second", "due"),
    [
        ("tick", 10.999, False),
        ("tick", 11, True),
        ("observe", 10.5, False),
        ("observe", 11, True),
        ("tick", 300, True),
    ],
)
def test_close_all_is_due_only_when_the_grace_ends(how: str, second: float, due: bool) -> None:
    state = breached()

    if how == "tick":
        state, events = tick_at(state, second)
    else:
        state, events = observe(state, snap(7_900, second), GuardConfig())

    assert of_type(events, CloseAllDue) == ([CloseAllDue(1, BreachReason.MAX_DRAWDOWN)] if due else [])
    assert state.status is (GuardStatus.LIQUIDATING if due else GuardStatus.LIQUIDATION_PENDING)


def test_recovering_equity_during_the_grace_does_not_cancel_the_breach() -> None:
    state, events = feed([snap(12_000, 5), snap(12_000, 9)], state=breached())
    assert events == [] and state.status is GuardStatus.LIQUIDATION_PENDING

    state, events = tick_at(state, 11)

    assert of_type(events, CloseAllDue) == [CloseAllDue(1, BreachReason.MAX_DRAWDOWN)]


def test_close_all_is_due_exactly_once_however_many_snapshots_and_ticks_follow() -> None:
    state, due = breached(), []
    for second in range(2, 200, 3):
        state, events = tick_at(state, second)
        due += of_type(events, CloseAllDue)
        state, events = observe(state, snap(7_000, second + 1), GuardConfig())
        due += of_type(events, CloseAllDue)

    assert due == [CloseAllDue(1, BreachReason.MAX_DRAWDOWN)]


def test_a_done_ack_and_then_a_flat_snapshot_complete_the_liquidation() -> None:
    state, events = close_all_acknowledged(liquidating(), CloseAckStatus.DONE, at(2))
    assert (state.status, events) == (GuardStatus.LIQUIDATING, [])

    state, events = observe(state, snap(7_850, 3, tickets=()), GRACE_0)

    assert events == [LiquidationCompleted(1)]
    assert state.status is GuardStatus.LIQUIDATED and state.locked


def test_a_flat_snapshot_before_the_done_ack_completes_on_the_ack() -> None:
    state, events = observe(liquidating(), snap(7_850, 2, tickets=()), GRACE_0)
    assert events == []

    state, events = close_all_acknowledged(state, CloseAckStatus.DONE, at(3))

    assert (state.status, events) == (GuardStatus.LIQUIDATED, [LiquidationCompleted(1)])


def test_a_done_ack_with_positions_still_open_waits_for_a_flat_snapshot() -> None:
    state, _ = close_all_acknowledged(liquidating(), CloseAckStatus.DONE, at(2))
    state, events = observe(state, snap(7_850, 3, tickets=(2,)), GRACE_0)

    assert (state.status, events) == (GuardStatus.LIQUIDATING, [])


def test_a_partial_ack_keeps_liquidating_and_becomes_overdue_at_the_verify_timeout() -> None:
    state, events = close_all_acknowledged(liquidating(), CloseAckStatus.PARTIAL, at(2))
    assert (state.status, kinds(events)) == (GuardStatus.LIQUIDATING, ["CloseAllPartial"])
    state, _ = observe(state, snap(7_850, 3, tickets=(2,)), GRACE_0)

    state, early = tick_at(state, 60.9, GRACE_0)
    state, overdue = tick_at(state, 61, GRACE_0)
    state, again = tick_at(state, 500, GRACE_0)

    assert (of_type(early, LiquidationOverdue), of_type(again, LiquidationOverdue)) == ([], [])
    assert overdue == [LiquidationOverdue(1, (2,), None)]  # the retry after the partial is unanswered


def test_no_ack_at_all_is_overdue_once_after_the_verify_timeout() -> None:
    state, events = tick_at(liquidating(), 61, GRACE_0)

    assert of_type(events, LiquidationOverdue) == [LiquidationOverdue(1, (1, 2), None)]
    assert tick_at(state, 62, GRACE_0)[1] == []


def test_a_failed_ack_retries_close_all_with_a_growing_back_off() -> None:
    state, failed = close_all_acknowledged(liquidating(), CloseAckStatus.FAILED, at(2))
    assert failed == [CloseAllFailed(1, 1, at(7))] and state.next_retry_at == at(7)

    state, early = tick_at(state, 6.9, GRACE_0)
    state, retry = tick_at(state, 7, GRACE_0)
    state, failed_again = close_all_acknowledged(state, CloseAckStatus.FAILED, at(8))

    assert early == []
    assert retry == [CloseAllRetryDue(1, BreachReason.MAX_DRAWDOWN, 2)]
    assert failed_again == [CloseAllFailed(1, 2, at(18))]


def test_a_repeated_failed_ack_does_not_push_the_retry_back() -> None:
    state, _ = close_all_acknowledged(liquidating(), CloseAckStatus.FAILED, at(2))

    state, events = close_all_acknowledged(state, CloseAckStatus.FAILED, at(4))

    assert (events, state.next_retry_at) == ([], at(7))


@pytest.mark.parametrize("breach_no", [0, 2])
def test_an_ack_for_another_breach_is_ignored(breach_no: int) -> None:
    state = liquidating(tickets=())

    assert close_all_acknowledged(state, CloseAckStatus.DONE, at(2), breach_no=breach_no) == (state, [])


def test_an_ack_outside_a_liquidation_is_ignored() -> None:
    state, _ = feed([snap(10_000, 0)])

    assert close_all_acknowledged(state, CloseAckStatus.DONE, at(2)) == (state, [])


def test_a_liquidated_account_stays_liquidated_whatever_its_equity_does() -> None:
    state, _ = close_all_acknowledged(liquidating(tickets=()), CloseAckStatus.DONE, at(2))
    state, events = feed(
        [snap(50_000, 3, tickets=(), flows=["42100"]), snap(60_000, 4, tickets=())], GRACE_0, state
    )

    assert (state.status, events) == (GuardStatus.LIQUIDATED, [])


def test_a_position_opened_on_a_liquidated_account_must_be_closed_once() -> None:
    state, _ = close_all_acknowledged(liquidating(tickets=()), CloseAckStatus.DONE, at(2))

    state, first = observe(state, snap(7_900, 3, tickets=(7,)), GRACE_0)
    state, second = observe(state, snap(7_900, 4, tickets=(7, 8)), GRACE_0)
    state, third = observe(state, snap(7_900, 5, tickets=(7, 8)), GRACE_0)

    assert first == [ClosePositionRequired(7)]
    assert second == [ClosePositionRequired(8, reason="locked", round=1)]
    assert third == []


def test_a_silent_feed_goes_stale_once_after_the_configured_seconds() -> None:
    state, _ = feed([snap(10_000, 0)])

    state, early = tick_at(state, 59.9)
    state, stale = tick_at(state, 60)
    state, again = tick_at(state, 600)

    assert (early, again) == ([], [])
    assert stale == [FeedStale(at(0), during_breach=False)] and state.stale


def test_the_first_snapshot_after_a_stale_feed_restores_it_and_is_judged_at_once() -> None:
    state, _ = feed([snap(10_000, 0)], GRACE_0)
    state, _ = tick_at(state, 90, GRACE_0)

    state, events = observe(state, snap(7_900, 120), GRACE_0)

    assert kinds(events)[0] == "FeedRestored" and events[0] == FeedRestored(at(0))
    assert of_type(events, CloseAllDue) == [CloseAllDue(1, BreachReason.MAX_DRAWDOWN)]
    assert not state.stale


def test_a_breach_in_progress_when_the_feed_goes_stale_is_told_to_admins() -> None:
    config = GuardConfig(grace_seconds=120)

    _, events = tick_at(breached(config), 61, config)

    assert events == [FeedStale(at(1), during_breach=True), BreachWhileOffline(1, BreachReason.MAX_DRAWDOWN)]


def test_a_grace_ending_while_the_feed_is_stale_still_issues_close_all() -> None:
    # The breach was seen on a fresh snapshot; the command waits for the EA to come back.
    config = GuardConfig(grace_seconds=120)
    state, _ = tick_at(breached(config), 61, config)

    state, events = tick_at(state, 121, config)

    assert state.stale
    assert events == [CloseAllDue(1, BreachReason.MAX_DRAWDOWN)]


def test_a_tick_never_starts_a_breach_even_on_a_feed_long_silent() -> None:
    state, _ = feed([snap(10_000, 0), snap("8000.01", 1)])

    for second in (30, 61, 3_600, 86_400 * 3):
        state, events = tick_at(state, second)
        assert not of_type(events, LiquidationTriggered) and not of_type(events, CloseAllDue)
    assert state.status is GuardStatus.WARNING


def test_times_must_be_timezone_aware() -> None:
    state, _ = feed([snap(10_000, 0)])

    with pytest.raises(ValueError, match="timezone-aware"):
        tick_at(state, at(1).replace(tzinfo=None))
    with pytest.raises(ValueError, match="timezone-aware"):
        snap(10_000, at(1).replace(tzinfo=None))
