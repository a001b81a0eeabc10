"""The guard's limits at their boundaries: drawdown, personal limit, minimum equity, warnings."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.domain.guard import (
    BreachReason,
    DrawdownWarned,
    GuardConfig,
    GuardStatus,
    LiquidationTriggered,
    PersonalLimitError,
    validate_personal_limit,
)
from tests.unit.guard_helpers import feed, of_type, snap


@pytest.mark.parametrize(
    ("equity", "breached"),
    [
        ("8001.00", False),  # 19.99 %
        ("8000.01", False),  # 19.9999 %
        ("8000.00", True),  # 20.00 %
        ("7999.99", True),
        ("-500", True),  # negative equity after a gap
    ],
)
def test_a_drawdown_of_20_percent_from_the_peak_breaches_and_19_99_does_not(
    equity: str, breached: bool
) -> None:
    state, events = feed([snap(10_000, -60), snap(equity, 1)])  # slower than a fast market

    triggered = of_type(events, LiquidationTriggered)
    assert bool(triggered) is breached
    if breached:
        assert triggered[0].reason is BreachReason.MAX_DRAWDOWN
        under_minimum = Decimal(equity) < 100  # nothing left to wait for: the grace is skipped
        assert state.status is (GuardStatus.LIQUIDATING if under_minimum else GuardStatus.LIQUIDATION_PENDING)


def test_the_drawdown_is_measured_from_the_highest_equity_seen() -> None:
    state, events = feed([snap(10_000, 0), snap(12_500, 1), snap(10_001, 2), snap(10_000, 3)])

    assert state.peak_equity == Decimal(12_500)
    assert state.drawdown_percent == Decimal(20)
    assert of_type(events, LiquidationTriggered)[0].drawdown_percent == Decimal(20)


@pytest.mark.parametrize(
    ("personal", "equity", "breached"),
    [
        (None, "8500", False),
        ("15", "8501", False),  # 14.99 % under a personal 15 %
        ("15", "8500", True),  # a personal 15 % tightens
        ("25", "8001", False),
        ("25", "8000", True),  # a personal 25 % does not loosen the service's 20 %
        ("20", "8000", True),
    ],
)
def test_a_personal_limit_only_ever_tightens_the_guard(
    personal: str | None, equity: str, breached: bool
) -> None:
    config = GuardConfig(personal_max_drawdown_percent=None if personal is None else Decimal(personal))

    _, events = feed([snap(10_000, 0), snap(equity, 1)], config)

    assert bool(of_type(events, LiquidationTriggered)) is breached


@pytest.mark.parametrize("personal", ["15", "20", "0.5"])
def test_a_personal_limit_at_or_under_the_service_limit_is_accepted(personal: str) -> None:
    assert validate_personal_limit(Decimal(personal), Decimal(20)) == Decimal(personal)


@pytest.mark.parametrize(
    ("personal", "message"),
    [
        ("25", "may only tighten the guard: 25% is looser than the service limit of 20%"),
        ("0", "above 0%"),
        ("-5", "above 0%"),
        ("NaN", "above 0%"),
        ("Infinity", "above 0%"),
    ],
)
def test_a_personal_limit_looser_than_the_service_or_not_positive_is_rejected(
    personal: str, message: str
) -> None:
    with pytest.raises(PersonalLimitError, match=message):
        validate_personal_limit(Decimal(personal), Decimal(20))


@pytest.mark.parametrize(
    ("equity", "breached"),
    [("100.01", False), ("100.00", False), ("99.99", True), ("0", True)],
)
def test_equity_exactly_at_the_minimum_is_not_a_breach_and_one_cent_below_is(
    equity: str, breached: bool
) -> None:
    _, events = feed([snap("100.05", 0), snap(equity, 1)])

    triggered = of_type(events, LiquidationTriggered)
    assert bool(triggered) is breached
    if breached and equity != "0":
        assert triggered[0].reason is BreachReason.MIN_EQUITY


def test_an_account_linked_below_the_minimum_equity_is_not_liquidated_until_funded() -> None:
    state, events = feed([snap("99.99", 0), snap("50", 1)])

    assert (state.funded, state.status, of_type(events, LiquidationTriggered)) == (
        False,
        GuardStatus.NORMAL,
        [],
    )


def test_when_several_limits_are_breached_the_drawdown_is_named_first() -> None:
    config = GuardConfig(daily_loss_limit_percent=Decimal(5))

    _, events = feed([snap(10_000, 0), snap(50, 1)], config)

    assert [event.reason for event in of_type(events, LiquidationTriggered)] == [BreachReason.MAX_DRAWDOWN]


@pytest.mark.parametrize(
    ("seconds_and_equities", "warned"),
    [
        ([(0, "10000"), (1, "9001")], []),
        ([(0, "10000"), (1, "9000")], ["10"]),
        ([(0, "10000"), (1, "9000"), (2, "8900"), (3, "9050"), (4, "9000")], ["10"]),
        ([(0, "10000"), (1, "9000"), (2, "9100"), (90, "9100"), (91, "9000")], ["10"]),  # 9.00 %: not below 9
        ([(0, "10000"), (1, "9000"), (2, "9101"), (3, "9000")], ["10"]),  # 8.99 % for 1 s: not re-armed
        ([(0, "10000"), (1, "9000"), (2, "9101"), (61, "9101"), (62, "9000")], ["10"]),  # 59 s below 9
        ([(0, "10000"), (1, "9000"), (2, "9101"), (62, "9101"), (63, "9000")], ["10", "10"]),  # 60 s below 9
        (
            [(0, "10000"), (1, "9000"), (2, "9101"), (40, "9050"), (62, "9101"), (63, "9000")],
            ["10"],
        ),  # clock restarts
        ([(0, "10000"), (1, "8500")], ["15"]),  # two levels crossed at once: one warning, the deepest
        ([(0, "10000"), (1, "8500"), (2, "8600"), (3, "8500")], ["15"]),  # 14.00 % keeps 15 warned
        (
            [(0, "10000"), (1, "8500"), (2, "8601"), (70, "8601"), (71, "8500")],
            ["15", "15"],
        ),  # re-arms 15, not 10
        ([(0, "10000"), (1, "8400"), (2, "9200"), (70, "9200"), (71, "8400")], ["15", "15"]),
        ([(0, "10000"), (1, "8000")], ["15"]),  # crossed on the way to the breach
    ],
)
def test_each_warning_level_fires_once_and_rearms_only_after_a_minute_a_point_below(
    seconds_and_equities: list[tuple[int, str]], warned: list[str]
) -> None:
    _, events = feed(snap(equity, second) for second, equity in seconds_and_equities)

    assert [event.level for event in of_type(events, DrawdownWarned)] == [Decimal(level) for level in warned]


def test_with_no_rearm_wait_a_level_rearms_at_the_first_snapshot_a_point_below() -> None:
    config = GuardConfig(warning_rearm_seconds=0)

    _, events = feed([snap(10_000, 0), snap(9_000, 1), snap(9_101, 2), snap(9_000, 3)], config)

    assert [event.level for event in of_type(events, DrawdownWarned)] == [Decimal(10), Decimal(10)]


def test_the_warning_status_carries_the_highest_level_warned() -> None:
    state, events = feed([snap(10_000, 0), snap(8_450, 1)])

    assert state.status is GuardStatus.WARNING
    assert state.warning_level == Decimal(15)
    assert of_type(events, DrawdownWarned) == [
        DrawdownWarned(
            level=Decimal(15),
            drawdown_percent=Decimal("15.5"),
            peak_equity=Decimal(10_000),
            equity=Decimal(8_450),
        )
    ]


def test_recovering_below_every_level_returns_to_normal() -> None:
    state, _ = feed([snap(10_000, 0), snap(8_900, 1), snap(9_500, 2), snap(9_500, 62)])

    assert state.status is GuardStatus.NORMAL
    assert state.warning_level is None


def test_a_warning_level_at_a_stricter_personal_limit_is_a_breach_not_a_warning() -> None:
    config = GuardConfig(personal_max_drawdown_percent=Decimal(15))

    _, events = feed([snap(10_000, 0), snap(8_500, 1)], config)

    assert [event.level for event in of_type(events, DrawdownWarned)] == [Decimal(10)]
    assert len(of_type(events, LiquidationTriggered)) == 1
