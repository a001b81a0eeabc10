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


def test_an_account_linked_below_the_minimum_equity_is_liquidated_at_once() -> None:
    _, events = feed([snap("99.99", 0)])

    assert of_type(events, LiquidationTriggered)[0].reason is BreachReason.MIN_EQUITY


def test_when_several_limits_are_breached_the_drawdown_is_named_first() -> None:
    config = GuardConfig(daily_loss_limit_percent=Decimal(5))

    _, events = feed([snap(10_000, 0), snap(50, 1)], config)

    assert [event.reason for event in of_type(events, LiquidationTriggered)] == [BreachReason.MAX_DRAWDOWN]


@pytest.mark.parametrize(
    ("equities", "warned"),
    [
        (["10000", "9001"], []),
        (["10000", "9000"], ["10"]),
        (["10000", "9000", "8900", "9050", "9000"], ["10"]),
        (["10000", "9000", "9100", "9000"], ["10"]),  # 9.00 % is not below 9: not re-armed
        (["10000", "9000", "9101", "9000"], ["10", "10"]),  # 8.99 % re-arms 10
        (["10000", "8500"], ["10", "15"]),
        (["10000", "8500", "8600", "8500"], ["10", "15"]),  # 14.00 % keeps 15 warned
        (["10000", "8500", "8601", "8500"], ["10", "15", "15"]),  # 13.99 % re-arms 15, not 10
        (["10000", "8400", "9200", "8400"], ["10", "15", "10", "15"]),
        (["10000", "8000"], ["10", "15"]),  # crossed on the way to the breach
    ],
)
def test_each_warning_level_fires_once_per_episode_and_rearms_a_point_below(
    equities: list[str], warned: list[str]
) -> None:
    _, events = feed(snap(equity, second) for second, equity in enumerate(equities))

    assert [event.level for event in of_type(events, DrawdownWarned)] == [Decimal(level) for level in warned]


def test_the_warning_status_carries_the_highest_level_warned() -> None:
    state, events = feed([snap(10_000, 0), snap(8_450, 1)])

    assert state.status is GuardStatus.WARNING
    assert state.warning_level == Decimal(15)
    assert of_type(events, DrawdownWarned)[1] == DrawdownWarned(
        level=Decimal(15),
        drawdown_percent=Decimal("15.5"),
        peak_equity=Decimal(10_000),
        equity=Decimal(8_450),
    )


def test_recovering_below_every_level_returns_to_normal() -> None:
    state, _ = feed([snap(10_000, 0), snap(8_900, 1), snap(9_500, 2)])

    assert state.status is GuardStatus.NORMAL
    assert state.warning_level is None


def test_a_warning_level_at_a_stricter_personal_limit_is_a_breach_not_a_warning() -> None:
    config = GuardConfig(personal_max_drawdown_percent=Decimal(15))

    _, events = feed([snap(10_000, 0), snap(8_500, 1)], config)

    assert [event.level for event in of_type(events, DrawdownWarned)] == [Decimal(10)]
    assert len(of_type(events, LiquidationTriggered)) == 1
