"""Real-data replays: markets played from the tick and bar files in `sim/data/`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sim.scenarios.account import SimAccount
from sim.scenarios.market import MarketStep, Quote
from sim.scenarios.scenario import open_before, quote_steps

REPLAY_TICKS_PATH = Path(__file__).parent.parent / "data" / "eurchf_2015-01-15_09h_ticks.csv"
GOLD_CLOSE_PATH = Path(__file__).parent.parent / "data" / "xauusd_m1_2026-02-20_close.csv"


def read_ticks(path: Path, since: str = "09:30:40") -> list[tuple[Decimal, Decimal]]:
    """(bid, ask) of each tick at or after `since` in a Dukascopy CSV (`date time,bid,ask,...`)."""
    ticks = []
    for line in path.read_text().splitlines():
        stamp, bid, ask = line.split(",")[:3]
        if stamp[11:19] >= since:
            ticks.append((Decimal(bid), Decimal(ask)))
    return ticks


def crash_replay(account: SimAccount, now: datetime) -> Iterator[MarketStep]:
    """The crash, tick by tick from the real file (508 steps), a 0.50 lot buy at the first ask."""
    ticks = read_ticks(REPLAY_TICKS_PATH)
    open_before(account, now, Quote("EURCHF", *ticks[0]), "buy", "0.50")
    return quote_steps("EURCHF", ticks)


def read_m1_bars(path: Path, symbol: str) -> list[Quote]:
    """One quote per bar of an MT5 M1 export: the close as bid, the close plus the spread (points of
    0.01) as ask, at the bar's time (the export's server time, read as UTC)."""
    quotes = []
    for line in path.read_text().splitlines()[1:]:
        fields = line.split("\t")
        moment = datetime.strptime(f"{fields[0]} {fields[1]}", "%Y.%m.%d %H:%M:%S").replace(tzinfo=UTC)
        bid = Decimal(fields[5])
        quotes.append(Quote(symbol, bid, bid + Decimal(fields[8]) * Decimal("0.01"), moment))
    return quotes


def gold_rollover(account: SimAccount, now: datetime) -> Iterator[MarketStep]:
    """A 0.10 lot XAUUSD buy through a Friday close (88 real M1 bars): the spread widens from 16–20
    points to 146 while the price barely moves. Nothing here should be closed. The bars keep their own
    minute spacing, moved so the last one is quoted now, which lets the market guards learn the usual
    spread first, as they would have on the day."""
    bars = read_m1_bars(GOLD_CLOSE_PATH, "XAUUSD")
    shift = now - bars[-1].time if bars[-1].time else timedelta(0)
    quotes = [replace(bar, time=bar.time + shift if bar.time else None) for bar in bars]
    open_before(account, now, replace(quotes[0], time=None), "buy", "0.10")
    return iter(MarketStep((quote,)) for quote in quotes)
