"""Real market data through the pure market guards, with the data's own timestamps as the clock.

Run with `pytest -s tests/unit/test_market_replays.py` to see what fired and when.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from itertools import pairwise

from core.domain.market import (
    GapDetected,
    MarketConfig,
    MarketEvent,
    SpreadBlowout,
    SymbolMarket,
    hurts,
    observe_quote,
    usual_spread,
)
from core.domain.snapshot import Quote, Side
from tests.unit.market_data import eurchf_ticks, gold_hourly, gold_m1_bars

DEFAULT = MarketConfig()
Fired = tuple[Quote, MarketEvent]


@dataclass
class Replay:
    fired: list[Fired]
    multiples: list[tuple[Quote, Decimal]]  # each quote's spread over the usual spread known before it

    def wider_than(self, multiple: Decimal) -> list[Quote]:
        return [quote for quote, seen in self.multiples if seen > multiple]


def replay(quotes: Iterable[Quote], config: MarketConfig = DEFAULT) -> Replay:
    state: SymbolMarket | None = None
    result = Replay([], [])
    for quote in quotes:
        usual = None if state is None else usual_spread(state.spreads, config)
        if usual:
            result.multiples.append((quote, (quote.ask - quote.bid) / usual))
        state, events = observe_quote(state, quote, config)
        result.fired += [(quote, event) for event in events]
    return result


def describe(event: MarketEvent) -> str:
    if isinstance(event, GapDetected):
        return f"gap {event.move_percent:+.2f}% from {event.previous_bid} ({event.direction})"
    if isinstance(event, SpreadBlowout):
        size = f"{event.multiple:.1f}x usual"
        return f"spread {event.spread} = {size}, mid {event.move_percent:+.2f}% ({event.direction})"
    return f"stale since {event.unchanged_since}"


# -- SNB, 15 January 2015 --------------------------------------------------------------------------
# The demo's model (sim/scenarios/, `crash_replay`): a 10,000 account buys 0.50 lot of
# EURCHF (100,000 units a lot) at the 09:30:00 ask; P&L at the bid, 1:1 in account currency.
ENTRY_TIME = datetime(2015, 1, 15, 9, 30, tzinfo=UTC)
FLOOR_REMOVED = datetime(2015, 1, 15, 9, 30, 47, tzinfo=UTC)
UNITS = Decimal("0.50") * 100_000
ACCOUNT = Decimal(10_000)


@cache
def snb_ticks() -> tuple[Quote, ...]:
    return tuple(eurchf_ticks())


def entry_ask() -> Decimal:
    return [tick for tick in snb_ticks() if tick.time <= ENTRY_TIME][-1].ask


def drawdown_percent(bid: Decimal) -> Decimal:
    return (entry_ask() - bid) * UNITS / ACCOUNT * 100


def test_the_spread_learned_in_the_first_half_hour_fires_nothing_until_the_floor_goes() -> None:
    fired = replay(snb_ticks()).fired

    assert fired and all(event.time > FLOOR_REMOVED for _, event in fired)


def test_on_the_snb_day_a_market_guard_fires_on_the_long_before_its_drawdown_reaches_20_percent() -> None:
    fired = [(quote, event) for quote, event in replay(snb_ticks()).fired if hurts(event, Side.BUY)]
    breach = next(tick for tick in snb_ticks() if drawdown_percent(tick.bid) >= 20)

    quote, first = fired[0]
    drawdown = drawdown_percent(quote.bid)
    print(
        f"\nSNB: long 0.50 EURCHF bought at {entry_ask()} (09:30:00 ask) on 10,000."
        f"\n  first guard hurting the long: {type(first).__name__} at {first.time:%H:%M:%S.%f},"
        f" bid {quote.bid}, drawdown {drawdown:.2f}%: {describe(first)}"
        f"\n  the drawdown would have reached 20% at {breach.time:%H:%M:%S.%f} (bid {breach.bid})"
    )
    for each_quote, event in fired:
        print(f"  {event.time:%H:%M:%S.%f} bid {each_quote.bid}: {describe(event)}, episode {event.episode}")
    assert isinstance(first, SpreadBlowout)
    assert first.time == datetime(2015, 1, 15, 9, 30, 50, 639_000, tzinfo=UTC)
    assert quote.bid == Decimal("1.19114") and round(drawdown, 2) == Decimal("4.94")
    assert first.time < breach.time


# -- XAUUSD M1, 16-27 February 2026: the nightly rollover and two Friday closes ------------------
# Times are the broker's server time (UTC+2): the daily break is 23:59-01:00 there.


@cache
def gold_fortnight() -> tuple[Quote, ...]:
    return tuple(gold_m1_bars())


def at_rollover(moment: datetime) -> bool:
    """The hour before the server's daily break (and the Friday close) and the quarter hour after."""
    return moment.time() >= time(23) or moment.time() < time(1, 15)


def test_the_gold_fortnight_closes_nothing_at_any_rollover() -> None:
    fired = replay(gold_fortnight()).fired

    print(f"\nXAUUSD M1 fortnight, defaults: {len(fired)} events")
    for quote, event in fired:
        print(f"  {event.time} bid {quote.bid}: {describe(event)}")
    assert not [event for _, event in fired if at_rollover(event.time)]
    assert fired == []


def test_even_at_three_times_the_usual_spread_the_friday_close_widening_closes_nothing() -> None:
    # The nightly rollover reaches about 2x the usual spread, the Friday close up to 9x (146 points
    # on 16): at a multiplier of 3 those are blow-outs in size, and only the adverse-move rule keeps
    # them from closing anyone (the mid moved under 0.1%).
    result = replay(gold_fortnight(), MarketConfig(spread_multiplier=Decimal(3)))
    wide = result.wider_than(Decimal(3))

    print(
        f"\nXAUUSD M1 at 3x: {len(wide)} wide quotes, {sum(at_rollover(q.time) for q in wide)} at rollover:"
    )
    print("  " + ", ".join(f"{q.time:%m-%d %H:%M} {(q.ask - q.bid) * 100:.0f}" for q in wide))
    print(f"  events: {len(result.fired)}")
    assert len(wide) == 18 and all(at_rollover(quote.time) and quote.time.weekday() == 4 for quote in wide)
    assert result.fired == []


# -- Oanda hourly gold (Lean): the April 2013 crash and the 20 July 2015 flash crash ------------


def test_the_april_2013_slide_is_no_gap_and_no_blowout() -> None:
    # -13% over two sessions, but in steps of at most 3.5% with spreads under 10x usual: the
    # account guard's drawdown rules and its fast-market window act here, not the market guards.
    quotes = tuple(gold_hourly(datetime(2013, 4, 1, tzinfo=UTC), datetime(2013, 4, 16, 23, tzinfo=UTC)))
    steepest = min((later.bid - earlier.bid) / earlier.bid * 100 for earlier, later in pairwise(quotes))

    result = replay(quotes)
    widest = max(seen for _, seen in result.multiples)

    print(
        f"\nXAUUSD hourly 2013-04-01..16: {len(result.fired)} events;"
        f" steepest quote-to-quote fall {steepest:.2f}%, widest spread {widest:.1f}x usual"
    )
    assert result.fired == []
    assert round(steepest, 2) == Decimal("-3.46") and widest < DEFAULT.spread_multiplier


def test_the_july_2015_flash_crash_bar_fires_a_gap_on_the_longs() -> None:
    crash_bar = datetime(2015, 7, 20, 1, tzinfo=UTC)

    fired = replay(gold_hourly(datetime(2015, 7, 1, tzinfo=UTC), datetime(2015, 7, 20, 23, tzinfo=UTC))).fired

    print("\nXAUUSD hourly 2015-07-01..20:")
    for quote, event in fired:
        print(f"  {event.time} bid {quote.bid}: {describe(event)}")
    assert len(fired) == 1
    quote, gap = fired[0]
    assert isinstance(gap, GapDetected) and hurts(gap, Side.BUY) and not hurts(gap, Side.SELL)
    assert crash_bar <= gap.time < crash_bar + timedelta(hours=1)
    assert round(gap.move_percent, 2) == Decimal("-5.47")
