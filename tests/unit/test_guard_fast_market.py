"""No grace lets a crash run, and a fast market is told once per episode (issue 7, items 1 and 2)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from core.domain.guard import (
    BreachReason,
    CloseAllDue,
    FastMarketDetected,
    GraceCut,
    GraceCutShort,
    GuardConfig,
    GuardState,
    GuardStatus,
    LiquidationTriggered,
    Observation,
    observe,
)
from core.domain.guard.fast import fast_move, remember
from tests.unit.guard_helpers import at, feed, kinds, of_type, snap

GRACE_10 = GuardConfig(grace_seconds=10)


def in_grace(equity: int = 7_900) -> GuardState:
    """Breached at t=1 s (21 %) after a slow slide from a peak a minute earlier: the grace runs."""
    state, _ = feed([snap(10_000, -60), snap(equity, 1)], GRACE_10)
    assert state.status is GuardStatus.LIQUIDATION_PENDING
    return state


def test_a_drawdown_deepening_five_points_during_the_grace_closes_out_in_that_very_step() -> None:
    state, events = observe(in_grace(), snap(7_400, 6), GRACE_10)  # 21 % -> 26 % in 5 s

    assert of_type(events, GraceCutShort) == [
        GraceCutShort(1, GraceCut.DEEPENED, Decimal(21), Decimal(26), Decimal(7_400))
    ]
    assert of_type(events, CloseAllDue) == [CloseAllDue(1, BreachReason.MAX_DRAWDOWN)]
    assert (state.status, state.breach_reason) == (GuardStatus.LIQUIDATING, BreachReason.MAX_DRAWDOWN)


def test_a_drawdown_deepening_less_than_five_points_lets_the_grace_run() -> None:
    state, events = observe(in_grace(), snap("7400.01", 6), GRACE_10)

    assert (events, state.status) == ([], GuardStatus.LIQUIDATION_PENDING)


def test_a_crash_through_the_limit_skips_the_grace_in_the_breaching_step() -> None:
    state, _ = feed([snap(10_000, -60), snap(9_500, 5)], GRACE_10)

    state, events = observe(state, snap(7_500, 7), GRACE_10)  # 5 % -> 25 % in 2 s: a fast market

    assert kinds(events)[-3:] == ["LiquidationTriggered", "GraceCutShort", "CloseAllDue"]
    (triggered,) = of_type(events, LiquidationTriggered)
    assert triggered.grace_until == at(7)  # the warning says "now", not "in 10 s"
    (cut,) = of_type(events, GraceCutShort)
    assert (cut.cause, cut.from_percent, cut.drawdown_percent) == (
        GraceCut.FAST_MARKET,
        Decimal(5),
        Decimal(25),
    )
    assert state.status is GuardStatus.LIQUIDATING


def test_a_market_guard_firing_on_a_held_symbol_during_the_grace_closes_out_at_once() -> None:
    alarm = Observation(at(3), Decimal(7_950), Decimal(7_950), (1,), market_alarm=("EURCHF",))

    _, events = observe(in_grace(), alarm, GRACE_10)

    (cut,) = of_type(events, GraceCutShort)
    assert (cut.cause, cut.symbols) == (GraceCut.MARKET_ALARM, ("EURCHF",))
    assert of_type(events, CloseAllDue) == [CloseAllDue(1, BreachReason.MAX_DRAWDOWN)]


def test_equity_under_the_minimum_during_the_grace_closes_out_at_once() -> None:
    config = GuardConfig(grace_seconds=10, min_equity=Decimal(7_800))

    _, events = observe(in_grace(), snap(7_790, 3), config)

    assert [cut.cause for cut in of_type(events, GraceCutShort)] == [GraceCut.MIN_EQUITY]
    assert of_type(events, CloseAllDue) == [CloseAllDue(1, BreachReason.MAX_DRAWDOWN)]


def test_with_no_grace_nothing_is_cut_short() -> None:
    state, _ = feed([snap(10_000, 0)], GuardConfig(grace_seconds=0))

    _, events = observe(state, snap(7_000, 1), GuardConfig(grace_seconds=0))

    assert of_type(events, GraceCutShort) == [] and len(of_type(events, CloseAllDue)) == 1


def test_a_drawdown_deepening_five_points_within_ten_seconds_is_a_fast_market() -> None:
    _, events = feed([snap(10_000, -60), snap(9_800, 1), snap(9_300, 9)])  # 2 % -> 7 % in 8 s

    assert of_type(events, FastMarketDetected) == [FastMarketDetected(1, Decimal(2), Decimal(7), 8)]


def test_the_same_deepening_over_more_than_the_window_is_not() -> None:
    _, events = feed([snap(10_000, -60), snap(9_800, 1), snap(9_300, 12)])

    assert of_type(events, FastMarketDetected) == []


def test_a_fast_market_is_told_once_per_episode() -> None:
    crash = [snap(10_000 - 300 * second, second) for second in range(8)]  # 3 points a second
    calm = [snap(7_900, 8 + second) for second in range(1, 30)]
    again = [snap(7_900 - 600 * step, 40 + step) for step in range(1, 3)]
    config = GuardConfig(max_drawdown_percent=Decimal(90), min_equity=Decimal(0))

    _, events = feed(crash + calm + again, config)

    assert [event.episode for event in of_type(events, FastMarketDetected)] == [1, 2]


def test_a_cash_flow_alone_is_no_fast_market() -> None:
    _, events = feed([snap(10_000, 0), snap(5_000, 1, flows=["-5000"])])

    assert of_type(events, FastMarketDetected) == []


def test_an_older_snapshot_leaves_the_history_as_it_was() -> None:
    history = remember((), at(10), Decimal(3), 10)

    assert remember(history, at(5), Decimal(1), 10) == history


drawdowns = st.lists(st.tuples(st.integers(0, 3_000), st.decimals(0, 100, places=2)), min_size=1, max_size=80)


@given(drawdowns, st.integers(1, 30))
def test_the_history_stays_within_the_window_and_finds_what_a_full_history_finds(
    points: list[tuple[int, Decimal]], window: int
) -> None:
    """Kept per second: a deepening within the window is always found, and one found is within the
    window plus at most the second a merged point was moved by."""
    history: tuple[tuple[object, Decimal], ...] = ()
    seen: list[tuple[object, Decimal]] = []
    for tenths, drawdown in sorted(points):
        now = at(tenths / 10)
        found = fast_move(history, now, drawdown, window, Decimal(5))  # type: ignore[arg-type]
        exact = [d for moment, d in seen if now - timedelta(seconds=window) <= moment <= now]  # type: ignore[operator]
        loose = [d for moment, d in seen if now - timedelta(seconds=window + 1) <= moment <= now]  # type: ignore[operator]
        if exact and drawdown - min(exact) >= 5:
            assert found is not None
        if found is not None:
            assert loose and drawdown - min(loose) >= 5
        history = remember(history, now, drawdown, window)  # type: ignore[arg-type]
        seen.append((now, drawdown))
        assert len(history) <= window + 1
