"""The liquidation workflow's holes (issue 7, "The guard's own rules"): each closed at its cause."""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

from core.domain.commands import COMMAND_TTL_SECONDS
from core.domain.guard import (
    BreachReason,
    CloseAckStatus,
    CloseAllPartial,
    CloseAllRetryDue,
    ClosePositionRequired,
    GuardConfig,
    GuardState,
    GuardStatus,
    LiquidationCancelled,
    LiquidationTriggered,
    admin_lock,
    admin_unlock,
    close_all_acknowledged,
    observe,
)
from core.domain.guard.liquidation import MAX_CLOSE_ATTEMPTS
from tests.unit.guard_helpers import at, feed, of_type, snap, tick_at

GRACE_0 = GuardConfig(grace_seconds=0)


def liquidating() -> GuardState:
    """close_all issued at t=1 s (grace 0) for a breach of the drawdown limit."""
    state, _ = feed([snap(10_000, -60), snap(7_900, 1)], GRACE_0)
    assert state.status is GuardStatus.LIQUIDATING
    return state


def done_at(state: GuardState, second: float) -> GuardState:
    state, _ = close_all_acknowledged(state, CloseAckStatus.DONE, at(second))
    return state


def test_a_position_seen_after_a_done_ack_gets_a_new_close_all_after_the_back_off() -> None:
    state = done_at(liquidating(), 2)

    state, early = observe(state, snap(7_900, 3, tickets=(9,)), GRACE_0)
    state, due = observe(state, snap(7_900, 6, tickets=(9,)), GRACE_0)  # 5 s after the first attempt

    assert of_type(early, CloseAllRetryDue) == []
    assert of_type(due, CloseAllRetryDue) == [CloseAllRetryDue(1, BreachReason.MAX_DRAWDOWN, 2, (9,))]
    assert state.status is GuardStatus.LIQUIDATING


def test_the_new_close_all_done_and_a_flat_snapshot_complete_the_liquidation() -> None:
    state = done_at(liquidating(), 2)
    state, _ = observe(state, snap(7_900, 6, tickets=(9,)), GRACE_0)

    state = done_at(state, 7)
    state, _ = observe(state, snap(7_900, 8, tickets=()), GRACE_0)

    assert state.status is GuardStatus.LIQUIDATED


def test_positions_that_keep_coming_back_are_closed_again_at_most_a_bounded_number_of_times() -> None:
    state, retries = liquidating(), []
    for second in range(2, 4_000, 2):
        state = done_at(state, second)
        state, events = observe(state, snap(7_900, second + 1, tickets=(second,)), GRACE_0)
        retries += of_type(events, CloseAllRetryDue)

    assert len(retries) == MAX_CLOSE_ATTEMPTS - 1
    gaps = [b.attempt - a.attempt for a, b in pairwise(retries)]
    assert set(gaps) == {1}


def test_a_close_all_that_expired_unanswered_while_positions_stay_open_is_issued_again() -> None:
    state, _ = observe(liquidating(), snap(7_900, COMMAND_TTL_SECONDS - 1), GRACE_0)
    assert of_type(_, CloseAllRetryDue) == []

    state, events = observe(state, snap(7_900, 1 + COMMAND_TTL_SECONDS), GRACE_0)

    assert [event.attempt for event in of_type(events, CloseAllRetryDue)] == [2]


def test_a_partial_ack_schedules_a_new_close_all_after_the_back_off() -> None:
    state, events = close_all_acknowledged(liquidating(), CloseAckStatus.PARTIAL, at(2))
    assert events == [CloseAllPartial(1, 1, at(7))]

    state, again = close_all_acknowledged(state, CloseAckStatus.PARTIAL, at(3))
    state, early = tick_at(state, 6.9, GRACE_0)
    state, due = tick_at(state, 7, GRACE_0)

    assert (again, of_type(early, CloseAllRetryDue)) == ([], [])
    assert of_type(due, CloseAllRetryDue) == [CloseAllRetryDue(1, BreachReason.MAX_DRAWDOWN, 2)]


def test_a_position_still_open_on_a_locked_account_is_asked_to_close_again_once_a_minute() -> None:
    state, _ = admin_lock(feed([snap(10_000, 0, tickets=())])[0], at(1))
    asked: list[ClosePositionRequired] = []
    for second in range(2, 200):
        state, events = observe(state, snap(10_000, second, tickets=(5,)), GRACE_0)
        asked += of_type(events, ClosePositionRequired)

    assert asked == [ClosePositionRequired(5, round=n) for n in range(4)]  # at 2, 62, 122 and 182 s


def test_an_unlock_while_liquidating_cancels_the_breach() -> None:
    state, events = admin_unlock(liquidating(), at(2))

    assert of_type(events, LiquidationCancelled) == [LiquidationCancelled(1)]
    assert (state.status, state.locked) == (GuardStatus.NORMAL, False)


def test_after_an_unlock_the_identical_snapshot_breaches_no_daily_loss() -> None:
    config = GuardConfig(grace_seconds=0, daily_loss_limit_percent=Decimal(5))
    state, events = feed([snap(10_000, 0), snap(9_400, 60, balance=10_000)], config)  # floating -6 %
    assert of_type(events, LiquidationTriggered)[0].reason is BreachReason.DAILY_LOSS

    state, _ = admin_unlock(state, at(61))
    state, events = observe(state, snap(9_400, 62, balance=10_000), config)

    assert of_type(events, LiquidationTriggered) == []
    assert (state.peak_equity, state.day_open_balance) == (Decimal(9_400), Decimal(9_400))


def test_after_an_unlock_under_the_minimum_equity_it_counts_again_once_reached() -> None:
    config = GuardConfig(grace_seconds=0, max_drawdown_percent=Decimal(90))
    state, events = feed([snap(100, 0), snap(90, 60)], config)
    assert of_type(events, LiquidationTriggered)[0].reason is BreachReason.MIN_EQUITY
    state, _ = admin_unlock(state, at(61))

    state, same = observe(state, snap(90, 62), config)
    state, recovered = observe(state, snap(120, 63), config)
    state, fell = observe(state, snap(99, 300), config)

    assert (of_type(same, LiquidationTriggered), of_type(recovered, LiquidationTriggered)) == ([], [])
    assert [event.reason for event in of_type(fell, LiquidationTriggered)] == [BreachReason.MIN_EQUITY]


def test_after_an_unlock_a_fast_market_starts_from_a_clean_history() -> None:
    state, _ = admin_unlock(liquidating(), at(2))

    assert (state.drawdown_history, state.fast_market_at) == ((), None)


def test_a_state_stored_before_issue_7_reads_with_the_new_fields_at_their_defaults() -> None:
    stored = liquidating().to_dict()
    for name in ("breach_drawdown_percent", "last_close_at", "drawdown_history", "min_equity_armed"):
        del stored[name]

    state = GuardState.from_dict(stored)

    assert (state.breach_drawdown_percent, state.drawdown_history, state.min_equity_armed) == (None, (), True)


def test_the_new_fields_survive_a_round_trip() -> None:
    state = done_at(liquidating(), 2)

    assert GuardState.from_dict(state.to_dict()) == state
