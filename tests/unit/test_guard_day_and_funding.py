"""The guard's own rules (issue 7): the trading day only moves forward and opens at the boundary's
balance, the equity rules wait for money to guard, and limits are compared exactly."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain.guard import (
    BalanceDeal,
    BreachReason,
    DailyLossBase,
    DrawdownWarned,
    GuardConfig,
    GuardState,
    GuardStatus,
    LiquidationTriggered,
    Observation,
    PersonalLimitError,
    TradingDayOpenUnknown,
    breaches_at_once,
    observe,
    trading_day_key,
    trading_day_start,
    validate_personal_limit,
)
from core.domain.guard.day import balance_deals
from core.domain.snapshot import Deal, DealEntry, DealReason, DealType
from tests.unit.guard_helpers import at, feed, of_type, snap

DAILY_5 = GuardConfig(daily_loss_limit_percent=Decimal(5))
MIDNIGHT = datetime(2026, 1, 15, tzinfo=UTC)


def hours(value: float) -> datetime:
    return MIDNIGHT + timedelta(hours=value)


def deal(when: datetime, amount: str, *, cash_flow: bool = False, credit: bool = False) -> BalanceDeal:
    moved = Decimal(0) if credit else Decimal(amount)
    return BalanceDeal(when, moved, Decimal(amount) if cash_flow or credit else Decimal(0))


def with_deals(equity: str, when: datetime, balance: str, *deals: BalanceDeal) -> Observation:
    flows = tuple(d.cash_flow for d in deals if d.cash_flow)
    return Observation(when, Decimal(equity), Decimal(balance), (1,), flows, deals)


# The trading day only moves forward


def test_a_snapshot_stamped_before_the_day_began_counts_in_the_current_day_and_resets_nothing() -> None:
    state, events = feed(
        [
            snap(10_000, hours(-0.001), balance=10_000),
            snap(9_700, hours(0.001), balance=10_000),  # the new day opens at 10,000
            snap(9_700, hours(-0.0005), balance=9_700),  # received late, stamped before midnight
            snap(9_400, hours(0.002), balance=9_400),
        ],
        DAILY_5,
    )

    assert (state.day_key, state.day_open_balance) == ("2026-01-15", Decimal(10_000))
    assert [event.reason for event in of_type(events, LiquidationTriggered)] == [BreachReason.DAILY_LOSS]


# The day's opening balance after a silent night


def test_after_a_silent_night_the_day_opens_at_the_balance_at_midnight_rebuilt_from_the_deals() -> None:
    # 10 % lost since midnight: a trade closed at 03:00 for -600, 400 more floating. Counted from the
    # first snapshot's balance (9,400) it would read as 4.3 %, short of the 5 % limit.
    state, _ = feed([snap(10_000, hours(-2), balance=10_000)], DAILY_5)
    state, events = observe(state, with_deals("9000", hours(8), "9400", deal(hours(3), "-600")), DAILY_5)

    assert state.day_open_balance == Decimal(10_000)
    assert [event.reason for event in of_type(events, LiquidationTriggered)] == [BreachReason.DAILY_LOSS]


def test_deals_done_before_midnight_belong_to_the_day_before() -> None:
    state, _ = feed([snap(10_000, hours(-2), balance=10_000)], DAILY_5)
    first = with_deals("9700", hours(8), "9700", deal(hours(-1), "-200"), deal(hours(3), "-100"))

    state, events = observe(state, first, DAILY_5)

    assert state.day_open_balance == Decimal(9_800)
    assert of_type(events, LiquidationTriggered) == []


def test_a_deposit_after_midnight_moves_the_rebuilt_opening_balance_in_proportion() -> None:
    state, _ = feed([snap(10_000, hours(-2), balance=10_000)], DAILY_5)
    first = with_deals(
        "14250", hours(8), "14500", deal(hours(2), "-500"), deal(hours(4), "5000", cash_flow=True)
    )

    state, events = observe(state, first, DAILY_5)

    # 10,000 at midnight; 9,250 before the deposit (9,500 balance, -250 floating): 7.5 % lost today, and
    # the deposit leaves it 7.5 % of a proportionally larger opening balance.
    assert state.daily_loss_percent == Decimal("7.5")
    assert [event.reason for event in of_type(events, LiquidationTriggered)] == [BreachReason.DAILY_LOSS]


def test_a_credit_after_midnight_moves_no_balance_but_counts_as_a_cash_flow() -> None:
    state, _ = feed([snap(10_000, hours(-2), balance=10_000)], DAILY_5)
    first = with_deals("11400", hours(8), "9400", deal(hours(3), "-600"), deal(hours(4), "2000", credit=True))

    state, events = observe(state, first, DAILY_5)

    # 10,000 at midnight, 9,400 before the credit (6 % lost), and the credit changes no percent.
    assert state.daily_loss_percent == Decimal(6)
    assert of_type(events, TradingDayOpenUnknown) == []


def test_when_the_deals_do_not_explain_a_silent_night_the_day_is_unknown_and_said_so() -> None:
    state, _ = feed([snap(10_000, hours(-2), balance=10_000)], DAILY_5)

    state, events = observe(state, snap(9_000, hours(8), balance=9_400), DAILY_5)

    assert of_type(events, TradingDayOpenUnknown) == [
        TradingDayOpenUnknown("2026-01-15", Decimal(9_400), hours(-2))
    ]
    assert state.day_open_balance == Decimal(9_400)


def test_an_unknown_day_is_not_announced_without_a_daily_loss_limit() -> None:
    state, _ = feed([snap(10_000, hours(-2), balance=10_000)])

    _, events = observe(state, snap(9_000, hours(8), balance=9_400), GuardConfig())

    assert of_type(events, TradingDayOpenUnknown) == []


def test_with_a_live_feed_and_no_deals_told_the_day_opens_at_the_last_balance_before_midnight() -> None:
    state, _ = feed([snap(10_000, hours(-0.001), balance=10_000)], DAILY_5)

    state, events = observe(state, snap(9_400, hours(0.001), balance=9_600), DAILY_5)

    assert state.day_open_balance == Decimal(10_000)
    assert of_type(events, TradingDayOpenUnknown) == []
    assert [event.reason for event in of_type(events, LiquidationTriggered)] == [BreachReason.DAILY_LOSS]


@pytest.mark.parametrize(
    ("base", "last_equity", "day_open"),
    [
        (DailyLossBase.BALANCE, "10500", "10000"),  # FTMO: the floating profit at midnight is not protected
        (DailyLossBase.MAX_BALANCE_EQUITY, "10500", "10500"),  # The5ers: the higher of the two
        (DailyLossBase.MAX_BALANCE_EQUITY, "9500", "10000"),
    ],
)
def test_the_days_loss_is_measured_from_the_base_chosen(
    base: DailyLossBase, last_equity: str, day_open: str
) -> None:
    config = GuardConfig(daily_loss_limit_percent=Decimal(5), daily_loss_base=base)
    state, _ = feed([snap(last_equity, hours(-0.001), balance=10_000)], config)

    state, _ = observe(state, snap(last_equity, hours(0.001), balance=10_000), config)

    assert state.day_open_balance == Decimal(day_open)


def test_with_the_higher_of_balance_and_equity_a_silent_night_leaves_the_day_unknown() -> None:
    config = GuardConfig(
        daily_loss_limit_percent=Decimal(5), daily_loss_base=DailyLossBase.MAX_BALANCE_EQUITY
    )
    state, _ = feed([snap(10_500, hours(-2), balance=10_000)], config)

    state, events = observe(state, snap(10_200, hours(8), balance=10_000), config)

    assert [event.day_open_balance for event in of_type(events, TradingDayOpenUnknown)] == [Decimal(10_000)]


@given(
    st.dates(date(2020, 1, 1), date(2035, 12, 31)),
    st.integers(0, 23),
    st.sampled_from(["UTC", "America/New_York", "Europe/Athens", "Australia/Sydney", "Etc/GMT-2"]),
)
def test_a_trading_day_starts_at_the_first_moment_it_is_named_after(day: date, hour: int, zone: str) -> None:
    config = GuardConfig(day_start_hour=hour, day_timezone=zone)
    key = trading_day_key(datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=36), config)

    start = trading_day_start(key, config)

    assert trading_day_key(start, config) == key
    assert trading_day_key(start - timedelta(microseconds=1), config) < key


# Equity rules armed once funded


def test_an_empty_account_is_not_liquidated_on_link_and_is_guarded_once_funded() -> None:
    state, events = feed([snap(0, 0, tickets=()), snap(10_000, 1, flows=["10000"], tickets=())])

    assert of_type(events, LiquidationTriggered) == []
    assert (state.funded, state.locked, state.peak_equity) == (True, False, Decimal(10_000))

    _, events = feed([snap(7_900, 2)], state=state)

    assert [event.reason for event in of_type(events, LiquidationTriggered)] == [BreachReason.MAX_DRAWDOWN]


@pytest.mark.parametrize("withdrawn", ["-10000", "-9950"])
def test_a_withdrawal_that_leaves_less_than_the_minimum_equity_breaches_nothing(withdrawn: str) -> None:
    equity = Decimal(10_000) + Decimal(withdrawn)

    state, events = feed([snap(10_000, 0), snap(equity, 1, flows=[withdrawn]), snap(equity, 2)])

    assert of_type(events, LiquidationTriggered) == [] and of_type(events, DrawdownWarned) == []
    assert (state.status, state.funded) == (GuardStatus.NORMAL, False)


def test_a_loss_below_the_minimum_equity_breaches_even_with_a_withdrawal_in_the_same_snapshot() -> None:
    config = GuardConfig(max_drawdown_percent=Decimal(100))
    # 1,000 -> 80 by trading (below the 100 minimum), and 30 withdrawn in the same snapshot.
    _, events = feed([snap(1_000, 0), snap(50, 1, flows=["-30"])], config)

    assert [event.reason for event in of_type(events, LiquidationTriggered)] == [BreachReason.MIN_EQUITY]


def test_a_deposit_into_an_emptied_account_arms_the_guard_afresh() -> None:
    state, _ = feed([snap(10_000, 0), snap(0, 1, flows=["-10000"], tickets=())])
    state, events = feed([snap(5_000, 2, flows=["5000"]), snap(4_600, 3)], state=state)

    assert (state.funded, state.peak_equity, state.drawdown_percent) == (True, Decimal(5_000), Decimal(8))
    assert of_type(events, LiquidationTriggered) == []


# Limits compared exactly


def test_a_drawdown_a_hair_short_of_the_limit_is_not_a_breach_however_large_the_account() -> None:
    # (5e15 - 4e15 - 1e-8) / 5e15 = 19.9999999999999999999998 %: rounded to 1e-12 % it read as 20 %.
    _, events = feed([snap("5000000000000000", 0), snap("4000000000000000.00000001", 1)])

    assert of_type(events, LiquidationTriggered) == []
    assert [event.level for event in of_type(events, DrawdownWarned)] == [Decimal(15)]


def test_a_drawdown_exactly_at_the_limit_is_a_breach() -> None:
    _, events = feed([snap("5000000000000000", 0), snap("4000000000000000", 1)])

    assert [event.reason for event in of_type(events, LiquidationTriggered)] == [BreachReason.MAX_DRAWDOWN]


@given(
    peak_hundreds=st.integers(1, 10**10),
    limit_hundredths=st.integers(1, 10_000),
    flow_cents=st.integers(-(10**12), 10**12),
    short_by_cents=st.sampled_from([0, 1]),
)
def test_a_cash_flow_never_carries_a_drawdown_across_the_limit(
    peak_hundreds: int, limit_hundredths: int, flow_cents: int, short_by_cents: int
) -> None:
    """Equity exactly at (or a cent short of) the limit by trading, plus a deposit or withdrawal in
    the same snapshot: breached exactly when it would be without the flow."""
    peak = Decimal(peak_hundreds * 100)
    limit = Decimal(limit_hundredths) / 100
    before = peak * (100 - limit) / 100 + Decimal(short_by_cents) / 100
    flow = Decimal(flow_cents) / 100
    if before <= 0 or before + flow <= 0 or limit >= 100:
        return
    config = GuardConfig(max_drawdown_percent=limit, warn_percents=(), min_equity=Decimal(0))

    _, events = feed([snap(peak, 0), snap(before + flow, 1, flows=[flow] if flow else [])], config)

    assert bool(of_type(events, LiquidationTriggered)) is (short_by_cents == 0)


# A personal limit


@pytest.mark.parametrize(
    ("asked", "kept"),
    [("12.355", "12.35"), ("19.999", "19.99"), ("12.5", "12.50"), ("0.019", "0.01"), ("20", "20.00")],
)
def test_a_personal_limit_is_kept_to_hundredths_rounded_toward_the_stricter(asked: str, kept: str) -> None:
    assert validate_personal_limit(Decimal(asked), Decimal(20)) == Decimal(kept)


@pytest.mark.parametrize("asked", ["0.001", "20.001"])
def test_a_personal_limit_that_rounds_to_nothing_or_asks_looser_is_refused(asked: str) -> None:
    with pytest.raises(PersonalLimitError):
        validate_personal_limit(Decimal(asked), Decimal(20))


@pytest.mark.parametrize(("limit", "at_once"), [("12.01", False), ("12.00", True), ("11.99", True)])
def test_a_personal_limit_at_or_under_the_current_drawdown_would_liquidate_at_once(
    limit: str, at_once: bool
) -> None:
    state, _ = feed([snap(10_000, 0), snap(8_800, 1)])

    assert breaches_at_once(state, Decimal(limit)) is at_once


def test_a_personal_limit_does_not_liquidate_at_once_an_account_already_in_a_breach_or_unfunded() -> None:
    breached, _ = feed([snap(10_000, 0), snap(7_000, 1)])
    empty, _ = feed([snap(0, 0)])

    assert not breaches_at_once(breached, Decimal(5)) and not breaches_at_once(empty, Decimal(5))


# The stored state


def test_the_new_rules_state_survives_a_round_trip_and_an_older_state_reads_as_funded() -> None:
    state, _ = feed([snap(10_000, 0), snap(9_000, 1), snap(9_200, 2)])
    stored = json.loads(json.dumps(state.to_dict()))

    assert GuardState.from_dict(stored) == state
    assert state.warning_rearm_since == ((Decimal(10), at(2)),)
    older = {k: v for k, v in stored.items() if k not in ("funded", "warning_rearm_since")}
    assert GuardState.from_dict(older).funded is True


def test_a_snapshots_deals_become_what_the_guard_needs_to_rebuild_the_days_balance() -> None:
    def made(ticket: int, kind: DealType, profit: str, commission: str = "0", swap: str = "0") -> Deal:
        entry = DealEntry.OUT if kind in (DealType.BUY, DealType.SELL) else DealEntry.IN
        return Deal(ticket, 0, "", kind, entry, DealReason.CLIENT, Decimal(0), Decimal(0), hours(1),
                    Decimal(profit), Decimal(commission), Decimal(swap))  # fmt: skip

    deals = [
        made(1, DealType.SELL, "-600", "-3.50", "-1.25"),
        made(2, DealType.BALANCE, "5000"),
        made(3, DealType.CREDIT, "2000"),
    ]

    assert balance_deals(deals) == (
        BalanceDeal(hours(1), Decimal("-604.75"), Decimal(0)),
        BalanceDeal(hours(1), Decimal(5000), Decimal(5000)),
        BalanceDeal(hours(1), Decimal(0), Decimal(2000)),
    )
