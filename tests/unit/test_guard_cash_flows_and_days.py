"""Deposits and withdrawals, and the trading day behind the daily loss limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.domain.guard import (
    BreachReason,
    DrawdownWarned,
    GuardConfig,
    GuardStatus,
    LiquidationTriggered,
    trading_day_key,
)
from tests.unit.guard_helpers import feed, of_type, snap

NEW_YORK_17 = GuardConfig(
    daily_loss_limit_percent=Decimal(5), day_start_hour=17, day_timezone="America/New_York"
)


def test_withdrawal_moves_the_peak_instead_of_counting_as_loss() -> None:
    state, events = feed([snap(10_000, 0), snap(5_000, 1, flows=["-5000"])])

    assert state.peak_equity == Decimal(5_000)
    assert state.drawdown_percent == 0
    assert events == []


def test_deposit_moves_the_peak_instead_of_counting_as_gain() -> None:
    state, events = feed([snap(10_000, 0), snap(9_000, 1), snap(10_000, 2, flows=["1000"])])

    assert state.drawdown_percent == Decimal(10)  # not back to 0 by a deposit
    assert len(of_type(events, DrawdownWarned)) == 1


@pytest.mark.parametrize(
    ("flows", "peak"),
    [(["2500"], "12500"), (["-4000"], "6000"), (["1000", "-3000", "500"], "8500")],
)
def test_at_the_peak_a_cash_flow_moves_the_peak_by_its_amount(flows: list[str], peak: str) -> None:
    equity = Decimal(10_000) + sum((Decimal(flow) for flow in flows), Decimal(0))

    state, _ = feed([snap(10_000, 0), snap(equity, 1, flows=flows)])

    assert state.peak_equity == Decimal(peak)


def test_withdrawal_during_a_drawdown_does_not_deepen_it_in_percent() -> None:
    # Moving the peak 10,000 -> 5,750 by the amount would make 4,250 a 26 % drawdown: the
    # withdrawal alone would liquidate the account. Moved in proportion, it stays 15 %.
    state, events = feed([snap(10_000, 0), snap(8_500, 1), snap(4_250, 2, flows=["-4250"])])

    assert state.peak_equity == Decimal(5_000)
    assert state.drawdown_percent == Decimal(15)
    assert of_type(events, LiquidationTriggered) == []


def test_deposit_during_a_drawdown_does_not_dilute_it() -> None:
    # Moving the peak 10,000 -> 19,000 by the amount would turn 10 % into 5.3 %, and
    # 16,000 would be only 15.8 % down. In proportion, the deposit changes no percent.
    state, _ = feed([snap(10_000, 0), snap(9_000, 1), snap(18_000, 2, flows=["9000"])])
    assert (state.peak_equity, state.drawdown_percent) == (Decimal(20_000), Decimal(10))

    _, events = feed([snap(16_000, 3)], state=state)

    assert [event.reason for event in of_type(events, LiquidationTriggered)] == [BreachReason.MAX_DRAWDOWN]


def test_a_loss_and_a_deposit_in_the_same_snapshot_are_told_apart() -> None:
    # 10,000 -> 7,900 by trading (21 %), with a 5,000 deposit landing in the same snapshot.
    _, events = feed([snap(10_000, 0), snap(12_900, 1, flows=["5000"])])

    assert [event.reason for event in of_type(events, LiquidationTriggered)] == [BreachReason.MAX_DRAWDOWN]


def test_the_first_snapshots_cash_flows_are_already_in_its_equity() -> None:
    state, _ = feed([snap(11_000, 0, flows=["1000"])])

    assert state.peak_equity == Decimal(11_000)
    assert state.day_open_balance == Decimal(11_000)


def test_a_breach_is_not_masked_by_a_deposit_after_it() -> None:
    state, _ = feed([snap(10_000, -60), snap(7_900, 1), snap(50_000, 2, flows=["42100"])])

    assert state.status is GuardStatus.LIQUIDATION_PENDING


@pytest.mark.parametrize(
    ("equity", "breached"),
    [("9500.01", False), ("9500.00", True), ("9000", True)],
)
def test_the_daily_loss_limit_breaches_at_the_percent_below_the_days_opening_balance(
    equity: str, breached: bool
) -> None:
    config = GuardConfig(daily_loss_limit_percent=Decimal(5))

    _, events = feed([snap(10_000, 0), snap(equity, 1, balance=10_000)], config)

    triggered = of_type(events, LiquidationTriggered)
    assert [event.reason for event in triggered] == ([BreachReason.DAILY_LOSS] if breached else [])


def test_the_days_opening_balance_moves_with_a_withdrawal() -> None:
    config = GuardConfig(daily_loss_limit_percent=Decimal(5))

    state, events = feed(
        [snap(10_000, 0), snap(5_000, 1, flows=["-5000"]), snap(4_800, 2, balance=5_000)], config
    )

    assert state.day_open_balance == Decimal(5_000)
    assert state.daily_loss_percent == Decimal(4)
    assert events == []


def test_the_days_opening_balance_is_the_balance_not_the_equity() -> None:
    config = GuardConfig(daily_loss_limit_percent=Decimal(5))
    midnight = datetime(2026, 1, 15, tzinfo=UTC)

    state, _ = feed(
        [snap(10_000, midnight - timedelta(hours=1)), snap(10_400, midnight, balance=10_000)], config
    )

    assert state.day_key == "2026-01-15"
    assert state.day_open_balance == Decimal(10_000)


@pytest.mark.parametrize(
    ("zone", "hour", "moment", "day"),
    [
        ("UTC", 0, "2026-01-14T23:59:59+00:00", "2026-01-14"),
        ("UTC", 0, "2026-01-15T00:00:00+00:00", "2026-01-15"),
        ("Etc/GMT-2", 0, "2026-01-14T21:59:59+00:00", "2026-01-14"),  # broker time, UTC+2 all year
        ("Etc/GMT-2", 0, "2026-07-14T22:00:00+00:00", "2026-07-15"),
        ("Europe/Athens", 0, "2026-01-14T22:00:00+00:00", "2026-01-15"),  # EET, UTC+2
        ("Europe/Athens", 0, "2026-07-14T20:59:59+00:00", "2026-07-14"),  # EEST, UTC+3
        ("Europe/Athens", 0, "2026-07-14T21:00:00+00:00", "2026-07-15"),
        ("America/New_York", 17, "2026-01-14T21:59:59+00:00", "2026-01-13"),  # 16:59:59 EST
        ("America/New_York", 17, "2026-01-14T22:00:00+00:00", "2026-01-14"),  # 17:00 EST
        ("America/New_York", 17, "2026-03-07T22:00:00+00:00", "2026-03-07"),  # the last EST day start
        ("America/New_York", 17, "2026-03-08T20:59:59+00:00", "2026-03-07"),  # DST began at 02:00
        ("America/New_York", 17, "2026-03-08T21:00:00+00:00", "2026-03-08"),  # 17:00 EDT
        ("America/New_York", 17, "2026-10-31T21:00:00+00:00", "2026-10-31"),  # 17:00 EDT
        ("America/New_York", 17, "2026-11-01T21:59:59+00:00", "2026-10-31"),  # DST ended at 02:00
        ("America/New_York", 17, "2026-11-01T22:00:00+00:00", "2026-11-01"),  # 17:00 EST
        ("America/New_York", 2, "2026-03-08T06:59:59+00:00", "2026-03-07"),  # 01:59:59 EST
        ("America/New_York", 2, "2026-03-08T07:00:00+00:00", "2026-03-08"),  # 03:00 EDT: 02:00 never was
    ],
)
def test_the_trading_day_starts_at_the_configured_hour_of_the_configured_zone(
    zone: str, hour: int, moment: str, day: str
) -> None:
    config = GuardConfig(day_start_hour=hour, day_timezone=zone)

    assert trading_day_key(datetime.fromisoformat(moment), config) == day


NEW_YORK_DAY_STARTS = [
    datetime(2026, 1, 14, 22, tzinfo=UTC),  # an ordinary winter day: 17:00 EST
    datetime(2026, 3, 8, 21, tzinfo=UTC),  # spring forward: 17:00 EDT
    datetime(2026, 11, 1, 22, tzinfo=UTC),  # fall back: 17:00 EST
]


@pytest.mark.parametrize("day_start", NEW_YORK_DAY_STARTS, ids=["winter", "dst-begins", "dst-ends"])
def test_the_daily_loss_resets_at_17_new_york_time_even_on_a_dst_change_day(day_start: datetime) -> None:
    # Down 4 % on the old day (10,000 -> 9,600), then 400 more: 8 % of 10,000, 4.17 % of 9,600.
    observations = [
        snap(10_000, day_start - timedelta(hours=2)),
        snap(9_600, day_start - timedelta(seconds=1), tickets=()),
        snap(9_600, day_start, tickets=()),
        snap(9_200, day_start + timedelta(hours=1), balance=9_600),
    ]

    state, events = feed(observations, NEW_YORK_17)

    assert (state.day_open_balance, of_type(events, LiquidationTriggered)) == (Decimal(9_600), [])


@pytest.mark.parametrize("day_start", NEW_YORK_DAY_STARTS, ids=["winter", "dst-begins", "dst-ends"])
def test_the_daily_loss_does_not_reset_a_second_before_17_new_york_time(day_start: datetime) -> None:
    observations = [
        snap(10_000, day_start - timedelta(hours=2)),
        snap(9_600, day_start - timedelta(seconds=2), tickets=()),
        snap(9_200, day_start - timedelta(seconds=1), balance=9_600),
    ]

    _, events = feed(observations, NEW_YORK_17)

    assert [event.reason for event in of_type(events, LiquidationTriggered)] == [BreachReason.DAILY_LOSS]
