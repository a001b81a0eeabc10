"""The market guards, pure: gaps, spread blow-outs, stale quotes, their episodes and their state."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain.market import (
    GapDetected,
    MarketConfig,
    MarketConfigError,
    MarketEvent,
    MoveDirection,
    QuotesStale,
    SpreadBlowout,
    SymbolMarket,
    hurts,
    is_trading,
    observe_quote,
    stale_quotes,
    usual_spread,
)
from core.domain.snapshot import Quote, Side

WEDNESDAY = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)
FRIDAY_BEFORE_CLOSE = datetime(2026, 1, 16, 20, 58, tzinfo=UTC)
DEFAULT = MarketConfig()
USUAL = Decimal("0.0002")  # the learned spread in these tests: 2 pips on a price of 1.1000


def quote(bid: str | Decimal, when: datetime, *, spread: Decimal = USUAL, symbol: str = "EURUSD") -> Quote:
    return Quote(symbol, Decimal(bid), Decimal(bid) + spread, when)


def feed(
    quotes: Iterable[Quote], state: SymbolMarket | None = None, config: MarketConfig = DEFAULT
) -> tuple[SymbolMarket, list[MarketEvent]]:
    events: list[MarketEvent] = []
    for each in quotes:
        state, fired = observe_quote(state, each, config)
        events += fired
    assert state is not None
    return state, events


def learned(samples: int = DEFAULT.spread_min_samples, *, start: datetime = WEDNESDAY) -> SymbolMarket:
    """A symbol quoted at 1.1000 with the usual spread, one sample every sampling interval."""
    step = timedelta(seconds=DEFAULT.spread_sample_seconds)
    state, events = feed(quote("1.1000", start + step * n) for n in range(samples))
    assert events == []
    return state


def after(state: SymbolMarket, seconds: float) -> datetime:
    return state.last_time + timedelta(seconds=seconds)


# -- gap -------------------------------------------------------------------------------------------


def test_a_weekend_gap_is_measured_from_fridays_last_quote() -> None:
    friday, _ = feed([quote("1.1000", FRIDAY_BEFORE_CLOSE)])
    sunday_open = datetime(2026, 1, 18, 23, 0, 5, tzinfo=UTC)

    _, events = feed([quote("1.0340", sunday_open)], friday)

    assert events == [
        GapDetected(
            symbol="EURUSD",
            previous_bid=Decimal("1.1000"),
            previous_time=FRIDAY_BEFORE_CLOSE,
            bid=Decimal("1.0340"),
            time=sunday_open,
            move_percent=Decimal("-6"),
            direction=MoveDirection.DOWN,
            episode=1,
        )
    ]
    assert hurts(events[0], Side.BUY) and not hurts(events[0], Side.SELL)


@pytest.mark.parametrize(
    ("bid", "fires"),
    [("1.0451", False), ("1.0450", True), ("1.1549", False), ("1.1550", True), ("0.9000", True)],
)
def test_a_gap_fires_at_exactly_the_percent_and_not_a_hair_under(bid: str, fires: bool) -> None:
    state, _ = feed([quote("1.1000", WEDNESDAY)])

    _, events = feed([quote(bid, after(state, 1))], state)

    assert [type(event) for event in events] == ([GapDetected] if fires else [])


def test_gaps_one_way_are_one_episode_and_a_gap_back_starts_the_next() -> None:
    bids = ["1.1000", "1.0400", "0.9800", "0.9300", "1.0000", "0.9400"]

    _, events = feed(quote(bid, WEDNESDAY + timedelta(seconds=n)) for n, bid in enumerate(bids))

    gaps = [(event.direction, event.episode, event.bid) for event in events if isinstance(event, GapDetected)]
    assert gaps == [
        (MoveDirection.DOWN, 1, Decimal("1.0400")),
        (MoveDirection.UP, 2, Decimal("1.0000")),
        (MoveDirection.DOWN, 3, Decimal("0.9400")),
    ]


def test_a_gap_the_same_way_after_a_quiet_spell_is_a_new_episode() -> None:
    state, first = feed([quote("1.1000", WEDNESDAY), quote("1.0400", WEDNESDAY + timedelta(seconds=1))])
    quiet = DEFAULT.gap_clear_seconds

    _, soon = feed([quote("0.9800", after(state, quiet - 1))], state)
    _, later = feed([quote("0.9800", after(state, quiet))], state)

    assert [event.episode for event in first] == [1]
    assert soon == []
    assert [event.episode for event in later] == [2]


# -- spread blow-out ------------------------------------------------------------------------------


def test_no_blowout_is_called_before_enough_spreads_are_seen() -> None:
    crash = Decimal("0.0500")  # 250 x the usual spread; the bid 3.6% down, the mid 1.4%
    almost = learned(DEFAULT.spread_min_samples - 1)
    enough = learned(DEFAULT.spread_min_samples)

    _, cold = feed([quote("1.0600", after(almost, 10), spread=crash)], almost)
    _, warm = feed([quote("1.0600", after(enough, 10), spread=crash)], enough)

    assert usual_spread(almost.spreads, DEFAULT) is None
    assert cold == []
    assert usual_spread(enough.spreads, DEFAULT) == USUAL
    assert [type(event) for event in warm] == [SpreadBlowout]


def test_many_accounts_reporting_within_the_sampling_interval_add_one_sample() -> None:
    start = learned(1)
    burst = (quote("1.1000", after(start, tenth / 10)) for tenth in range(1, 100))

    state, _ = feed(burst, start)

    assert len(state.spreads.values) == 1
    assert usual_spread(state.spreads, DEFAULT) is None


def test_the_usual_spread_is_the_median_of_a_bounded_window() -> None:
    state = learned(DEFAULT.spread_window + 50)
    wide = Decimal("0.0010")
    step = DEFAULT.spread_sample_seconds

    wider, _ = feed((quote("1.1000", after(state, step * n), spread=wide) for n in range(1, 90)), state)

    assert len(state.spreads.values) == DEFAULT.spread_window
    assert usual_spread(wider.spreads, DEFAULT) == USUAL  # 89 wide of 180: still a minority
    widest, _ = feed([quote("1.1000", after(wider, step), spread=wide)], wider)
    assert usual_spread(widest.spreads, DEFAULT) == (USUAL + wide) / 2


def test_a_state_saved_under_a_longer_window_is_read_with_the_current_one() -> None:
    state = learned(DEFAULT.spread_window)
    step = DEFAULT.spread_sample_seconds
    wide = Decimal("0.0010")
    recent, _ = feed((quote("1.1000", after(state, step * n), spread=wide) for n in range(1, 31)), state)
    shorter = MarketConfig(spread_window=50)

    assert usual_spread(recent.spreads, DEFAULT) == USUAL
    assert usual_spread(recent.spreads, shorter) == wide  # 30 wide of the last 50


def test_a_wide_spread_while_the_price_stays_put_closes_nothing() -> None:
    # Gold's rollover in miniature: the spread goes to 15x for ten minutes, the mid drifts 0.2%.
    state = learned()
    rollover = (
        quote(Decimal("1.1000") + Decimal("0.0002") * n, after(state, 60 * n), spread=USUAL * 15)
        for n in range(1, 11)
    )

    _, events = feed(rollover, state)

    assert events == []


def test_a_wide_spread_with_the_price_falling_fires_once_and_hurts_only_longs() -> None:
    state = learned()
    falling = [
        quote("1.0980", after(state, 1), spread=USUAL * 11),  # wide, mid -0.17%: not yet
        quote("1.0930", after(state, 2), spread=USUAL * 12),  # wide, mid -0.6%: fires
        quote("1.0800", after(state, 3), spread=USUAL * 30),  # same episode
        quote("1.0700", after(state, 4)),  # narrow again, same episode
    ]

    _, events = feed(falling, state)

    assert len(events) == 1 and isinstance(events[0], SpreadBlowout)
    blowout = events[0]
    assert (blowout.spread, blowout.usual_spread, blowout.multiple) == (USUAL * 12, USUAL, Decimal(12))
    assert (blowout.direction, blowout.episode, blowout.time) == (MoveDirection.DOWN, 1, falling[1].time)
    assert hurts(blowout, Side.BUY) and not hurts(blowout, Side.SELL)


def test_the_mid_swinging_the_other_way_in_one_widening_fires_for_the_shorts_too() -> None:
    state = learned()
    swing = [
        quote("1.0900", after(state, 1), spread=USUAL * 20),
        quote("1.1100", after(state, 2), spread=USUAL * 20),
    ]

    _, events = feed(swing, state)

    assert [(event.direction, event.episode) for event in events if isinstance(event, SpreadBlowout)] == [
        (MoveDirection.DOWN, 1),
        (MoveDirection.UP, 2),
    ]


def test_a_blowout_episode_ends_once_the_spread_has_been_normal_for_the_clearing_time() -> None:
    state, first = feed([quote("1.0900", after(learned(), 1), spread=USUAL * 20)], learned())
    clear = DEFAULT.blowout_clear_seconds
    calm, _ = feed([quote("1.0900", after(state, clear))], state)

    _, again = feed([quote("1.0800", after(calm, 1), spread=USUAL * 20)], calm)
    _, still_one = feed([quote("1.0800", after(state, clear - 1), spread=USUAL * 20)], state)

    assert [event.episode for event in first] == [1]
    assert [event.episode for event in again if isinstance(event, SpreadBlowout)] == [2]
    assert still_one == []


def test_a_wide_monday_open_after_a_weekend_move_under_the_gap_percent_closes_nothing() -> None:
    friday = learned(start=FRIDAY_BEFORE_CLOSE - timedelta(minutes=5))
    sunday_open = datetime(2026, 1, 18, 23, 0, 5, tzinfo=UTC)
    opening = [
        quote("1.0900", sunday_open, spread=USUAL * 20),
        quote("1.0895", sunday_open + timedelta(seconds=1), spread=USUAL * 20),
    ]

    _, events = feed(opening, friday)

    assert events == []  # the weekend's -0.9% is the gap guard's to judge, and it is under 5%


def test_a_feed_that_stalls_in_trading_hours_and_comes_back_wide_and_lower_still_fires() -> None:
    state = learned()

    _, events = feed([quote("1.0700", after(state, 600), spread=USUAL * 20)], state)

    assert len(events) == 1 and isinstance(events[0], SpreadBlowout)
    assert events[0].direction is MoveDirection.DOWN


# -- stale quotes ---------------------------------------------------------------------------------


def markets(frozen_since: datetime, now: datetime, *, others_move: bool = True) -> dict[str, SymbolMarket]:
    gold, _ = feed([quote("2000.00", frozen_since, symbol="XAUUSD", spread=Decimal("0.2"))])
    euro_moved = now - timedelta(seconds=1) if others_move else frozen_since
    euro, _ = feed([quote("1.1000", frozen_since), quote("1.1001", euro_moved)])
    return {"XAUUSD": gold, "EURUSD": euro}


@pytest.mark.parametrize(
    ("frozen_since", "now", "stale"),
    [
        (WEDNESDAY, WEDNESDAY + timedelta(seconds=299), False),
        (WEDNESDAY, WEDNESDAY + timedelta(seconds=300), True),
        # Friday 20:58 to the weekend: two trading minutes, then closed until Sunday 23:00.
        (FRIDAY_BEFORE_CLOSE, datetime(2026, 1, 17, 12, tzinfo=UTC), False),
        (FRIDAY_BEFORE_CLOSE, datetime(2026, 1, 18, 23, 2, 59, tzinfo=UTC), False),
        (FRIDAY_BEFORE_CLOSE, datetime(2026, 1, 18, 23, 3, tzinfo=UTC), True),
        # The daily break, 21:00-23:00 UTC, does not count either.
        (datetime(2026, 1, 14, 20, 57, tzinfo=UTC), datetime(2026, 1, 14, 22, 30, tzinfo=UTC), False),
        (datetime(2026, 1, 14, 20, 57, tzinfo=UTC), datetime(2026, 1, 14, 23, 2, tzinfo=UTC), True),
    ],
)
def test_quotes_are_stale_after_the_threshold_of_trading_time(
    frozen_since: datetime, now: datetime, stale: bool
) -> None:
    found = stale_quotes(markets(frozen_since, now), ["XAUUSD"], now, DEFAULT)

    assert found == ([QuotesStale("XAUUSD", frozen_since, now, 1)] if stale else [])


def test_quotes_are_not_stale_when_no_other_symbol_moves_either() -> None:
    now = WEDNESDAY + timedelta(hours=1)

    assert stale_quotes(markets(WEDNESDAY, now, others_move=False), ["XAUUSD"], now, DEFAULT) == []


def test_only_held_symbols_are_reported() -> None:
    now = WEDNESDAY + timedelta(hours=1)

    assert stale_quotes(markets(WEDNESDAY, now), ["USDJPY"], now, DEFAULT) == []
    assert stale_quotes(markets(WEDNESDAY, now), [], now, DEFAULT) == []


def test_a_frozen_quote_stays_one_episode_until_it_changes() -> None:
    now = WEDNESDAY + timedelta(hours=1)
    states = markets(WEDNESDAY, now)
    gold = states["XAUUSD"]
    repeated, _ = feed([quote("2000.00", now, symbol="XAUUSD", spread=Decimal("0.2"))], gold)
    moved, _ = feed([quote("2000.10", now, symbol="XAUUSD", spread=Decimal("0.2"))], gold)
    later = now + timedelta(hours=1)

    first = stale_quotes(states, ["XAUUSD"], now, DEFAULT)
    same = stale_quotes({**states, "XAUUSD": repeated}, ["XAUUSD"], now + timedelta(minutes=1), DEFAULT)
    fresh = stale_quotes({**markets(now, later), "XAUUSD": moved}, ["XAUUSD"], later, DEFAULT)

    assert repeated.last_change_time == WEDNESDAY  # the same price reported again is no change
    assert [event.episode for event in first + same + fresh] == [1, 1, 2]
    assert all(hurts(event, side) for event in first for side in Side)


@pytest.mark.parametrize(
    ("moment", "trading"),
    [
        (datetime(2026, 1, 16, 20, 59, tzinfo=UTC), True),  # Friday
        (datetime(2026, 1, 16, 21, 0, tzinfo=UTC), False),
        (datetime(2026, 1, 17, 12, 0, tzinfo=UTC), False),  # Saturday
        (datetime(2026, 1, 18, 22, 59, tzinfo=UTC), False),  # Sunday
        (datetime(2026, 1, 18, 23, 0, tzinfo=UTC), True),
        (datetime(2026, 1, 14, 21, 30, tzinfo=UTC), False),  # the daily break
        (datetime(2026, 1, 14, 23, 0, tzinfo=UTC), True),
    ],
)
def test_trading_hours_close_for_the_daily_break_and_the_weekend(moment: datetime, trading: bool) -> None:
    assert is_trading(moment, DEFAULT) is trading


# -- every guard ----------------------------------------------------------------------------------

SYMBOL_QUOTES = st.lists(
    st.tuples(
        st.integers(min_value=-3, max_value=4_000),  # seconds after the previous quote (<= 0: not newer)
        st.one_of(st.just(0), st.integers(min_value=9_000, max_value=13_000)),  # bid, in pips (0: bad data)
        st.integers(min_value=0, max_value=400),  # spread, in pips
    ),
    max_size=80,
)


def replayed(steps: list[tuple[int, int, int]]) -> tuple[SymbolMarket | None, list[MarketEvent]]:
    state: SymbolMarket | None = None
    events: list[MarketEvent] = []
    moment = WEDNESDAY
    config = MarketConfig(spread_min_samples=3, spread_window=8, spread_sample_seconds=1)
    for gap, bid, spread in steps:
        moment += timedelta(seconds=gap)
        pip = Decimal("0.0001")
        state, fired = observe_quote(state, Quote("EURUSD", bid * pip, (bid + spread) * pip, moment), config)
        events += fired
    return state, events


@given(SYMBOL_QUOTES)
def test_the_state_survives_a_round_trip_through_json(steps: list[tuple[int, int, int]]) -> None:
    state, _ = replayed(steps)

    if state is not None:
        assert SymbolMarket.from_dict(json.loads(json.dumps(state.to_dict()))) == state


@given(SYMBOL_QUOTES, st.data())
def test_a_quote_not_newer_than_the_last_changes_nothing(
    steps: list[tuple[int, int, int]], data: st.DataObject
) -> None:
    state, _ = replayed(steps)
    if state is None:
        return
    back = data.draw(st.integers(min_value=0, max_value=10_000))
    old = Quote("EURUSD", Decimal("0.5"), Decimal("2.5"), state.last_time - timedelta(seconds=back))

    assert observe_quote(state, old, DEFAULT) == (state, [])


@given(SYMBOL_QUOTES)
def test_each_episode_of_each_kind_fires_once(steps: list[tuple[int, int, int]]) -> None:
    _, events = replayed(steps)

    for kind in (GapDetected, SpreadBlowout):
        episodes = [event.episode for event in events if isinstance(event, kind)]
        assert episodes == list(range(1, len(episodes) + 1))


def test_a_quote_of_another_symbol_is_refused() -> None:
    state = learned(1)

    with pytest.raises(ValueError, match="USDJPY"):
        observe_quote(state, quote("150.00", after(state, 1), symbol="USDJPY"), DEFAULT)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("gap_percent", Decimal(0)),
        ("spread_multiplier", Decimal(1)),
        ("stale_quote_seconds", 0),
        ("spread_min_samples", 181),
    ],
)
def test_a_setting_out_of_range_is_refused_by_name(setting: str, value: object) -> None:
    with pytest.raises(MarketConfigError, match=setting):
        MarketConfig(**{setting: value})  # type: ignore[arg-type]
