"""Admin actions: the only ways into a manual liquidation, and out of a breach or a lock."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.domain.guard import (
    BreachReason,
    BreachWhileOffline,
    CloseAckStatus,
    CloseAllDue,
    ClosePositionRequired,
    GuardActionRejected,
    GuardConfig,
    GuardState,
    GuardStatus,
    LiquidationCancelled,
    LiquidationTriggered,
    PeakReset,
    TradingLocked,
    TradingUnlocked,
    admin_liquidate,
    admin_lock,
    admin_reset_peak,
    admin_unlock,
    close_all_acknowledged,
    observe,
)
from tests.unit.guard_helpers import at, feed, kinds, of_type, snap, tick_at

GRACE_0 = GuardConfig(grace_seconds=0)


def running(equity: int = 9_000, tickets: tuple[int, ...] = (1,)) -> GuardState:
    state, _ = feed([snap(10_000, -60, tickets=tickets), snap(equity, 1, tickets=tickets)])
    return state


def liquidated() -> GuardState:
    state, _ = feed([snap(10_000, 0, tickets=()), snap(7_900, 1, tickets=())], GRACE_0)
    state, _ = close_all_acknowledged(state, CloseAckStatus.DONE, at(2))
    assert state.status is GuardStatus.LIQUIDATED
    return state


def test_an_admin_liquidation_closes_out_at_once_with_the_reason_admin() -> None:
    state, events = admin_liquidate(running(), at(5), "client asked by phone")

    assert events == [
        LiquidationTriggered(1, BreachReason.ADMIN, Decimal(10), Decimal(9_000), at(5)),
        CloseAllDue(1, BreachReason.ADMIN),
    ]
    assert (state.status, state.breach_note, state.locked) == (
        GuardStatus.LIQUIDATING,
        "client asked by phone",
        True,
    )


def test_an_admin_liquidation_during_a_grace_ends_the_grace_now() -> None:
    state, _ = feed([snap(7_900, 20)], state=running())  # slower than a fast market: the grace runs

    state, events = admin_liquidate(state, at(21))

    assert events == [CloseAllDue(1, BreachReason.MAX_DRAWDOWN)]
    assert tick_at(state, 40)[1] == []  # and the grace's own end issues nothing more


def test_an_admin_liquidation_of_an_offline_account_is_told_to_admins() -> None:
    state, _ = tick_at(running(), 90)

    _, events = admin_liquidate(state, at(91))

    assert events[-1] == BreachWhileOffline(1, BreachReason.ADMIN)


@pytest.mark.parametrize("status", [GuardStatus.LIQUIDATING, GuardStatus.LIQUIDATED])
def test_an_admin_liquidation_of_an_account_already_closing_out_is_refused(status: GuardStatus) -> None:
    state, _ = admin_liquidate(running(), at(2))
    if status is GuardStatus.LIQUIDATED:
        state = liquidated()

    with pytest.raises(GuardActionRejected, match=f"already {status.value}"):
        admin_liquidate(state, at(3))


def test_an_admin_lock_keeps_open_positions_and_closes_new_ones_once() -> None:
    state, events = admin_lock(running(tickets=(1, 2)), at(2))
    assert events == [TradingLocked()]

    state, first = observe(state, snap(9_000, 3, tickets=(1, 2, 3)), GuardConfig())
    state, second = observe(state, snap(9_000, 4, tickets=(1, 2, 3)), GuardConfig())

    assert (first, second) == ([ClosePositionRequired(3)], [])


def test_locking_twice_is_a_no_op() -> None:
    state, _ = admin_lock(running(), at(2))

    assert admin_lock(state, at(3)) == (state, [])


def test_a_locked_account_is_still_guarded() -> None:
    state, _ = admin_lock(running(), at(2))

    _, events = observe(state, snap(7_900, 3), GRACE_0)

    assert kinds(events)[-2:] == ["LiquidationTriggered", "CloseAllDue"]


def test_unlocking_a_liquidated_account_starts_a_new_episode_from_its_equity() -> None:
    state, events = admin_unlock(liquidated(), at(3))

    assert events == [TradingUnlocked()]
    assert (state.status, state.locked, state.peak_equity) == (GuardStatus.NORMAL, False, Decimal(7_900))
    assert state.breach_reason is None and state.breach_no == 1
    assert feed([snap(7_900, 4)], GRACE_0, state)[1] == []


def test_the_breach_counter_keeps_counting_across_episodes() -> None:
    state, _ = admin_unlock(liquidated(), at(3))

    state, events = feed([snap(6_000, 4, tickets=())], GRACE_0, state)

    assert of_type(events, CloseAllDue) == [CloseAllDue(2, BreachReason.MAX_DRAWDOWN)]


@pytest.mark.parametrize("grace", [0, 10])
def test_unlocking_during_a_breach_cancels_it(grace: int) -> None:
    config = GuardConfig(grace_seconds=grace)
    state, _ = feed([snap(10_000, -60), snap(7_900, 1)], config)

    state, events = admin_unlock(state, at(2))

    assert events[0] == LiquidationCancelled(1)
    assert kinds(events)[1:] == (["TradingUnlocked"] if grace == 0 else [])
    assert state.status is GuardStatus.NORMAL
    assert tick_at(state, 30, config)[1] == []


def test_unlocking_an_unlocked_account_is_a_no_op() -> None:
    state = running()

    assert admin_unlock(state, at(2)) == (state, [])


def test_resetting_the_peak_rearms_the_warnings() -> None:
    state, events = admin_reset_peak(running(8_500), at(2))

    assert events == [PeakReset(previous_peak=Decimal(10_000), peak_equity=Decimal(8_500))]
    assert (state.status, state.warned_levels, state.drawdown_percent) == (GuardStatus.NORMAL, (), Decimal(0))


def test_resetting_the_peak_of_a_liquidated_account_leaves_trading_locked() -> None:
    state, _ = admin_reset_peak(liquidated(), at(3))

    state, events = observe(state, snap(7_900, 4, tickets=(9,)), GuardConfig())

    assert (state.status, state.locked) == (GuardStatus.NORMAL, True)
    assert events == [ClosePositionRequired(9)]


def test_resetting_the_peak_during_a_breach_is_refused() -> None:
    state, _ = feed([snap(7_900, 2)], state=running())

    with pytest.raises(GuardActionRejected, match="breach 1 is in progress"):
        admin_reset_peak(state, at(3))
