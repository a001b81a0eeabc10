"""Real market data as quotes, read lazily so a replay reads only the rows it needs.

- EURCHF ticks of 15 January 2015, 09:00-09:59 UTC (the SNB day), as shipped with the reference
  client (sim/data/README.md).
- tests/data/XAUUSD_M1_…csv: a native MT5 M1 export of gold, 16-27 February 2026, times as the
  broker's server wrote them; each bar's close is the bid, the ask is bid + spread points x 0.01.
- tests/data/xauusd.zip: Oanda hourly gold bid and ask bars 2006-2019 (QuantConnect/Lean,
  Apache-2.0). Each bar becomes four quotes: the open, the high and the low in the order the
  bar's direction suggests (a falling bar makes its high first), and the close, 0, 20, 40 and
  59 minutes into the hour.
See tests/data/README.md for the sources.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from core.domain.snapshot import Quote
from sim.scenarios import REPLAY_TICKS_PATH

DATA = Path(__file__).parents[1] / "data"
GOLD_M1 = DATA / "XAUUSD_M1_202602160207_202602272357_jan_feb.csv"
GOLD_HOURLY = DATA / "xauusd.zip"
GOLD_POINT = Decimal("0.01")


def eurchf_ticks() -> Iterator[Quote]:
    """`YYYY.MM.DD HH:MM:SS.mmm,bid,ask,bid_volume,ask_volume`, no header, CRLF."""
    with REPLAY_TICKS_PATH.open(newline="") as rows:
        for when, bid, ask, *_ in csv.reader(rows):
            moment = datetime.strptime(when, "%Y.%m.%d %H:%M:%S.%f").replace(tzinfo=UTC)
            yield Quote("EURCHF", Decimal(bid), Decimal(ask), moment)


def gold_m1_bars() -> Iterator[Quote]:
    """`<DATE> <TIME> <OPEN> <HIGH> <LOW> <CLOSE> <TICKVOL> <VOL> <SPREAD>`, tab separated."""
    with GOLD_M1.open(newline="") as rows:
        reader = csv.reader(rows, delimiter="\t")
        next(reader)
        for day, clock, _open, _high, _low, close, _ticks, _volume, spread in reader:
            moment = datetime.strptime(f"{day} {clock}", "%Y.%m.%d %H:%M:%S").replace(tzinfo=UTC)
            bid = Decimal(close)
            yield Quote("XAUUSD", bid, bid + Decimal(spread) * GOLD_POINT, moment)


def gold_hourly(since: datetime, until: datetime) -> Iterator[Quote]:
    """Quotes of the bars from `since` up to `until`: the rows are in time order, so reading stops
    at the first bar after `until`, and rows before `since` are skipped unparsed."""
    first, last = since.strftime("%Y%m%d %H:%M"), until.strftime("%Y%m%d %H:%M")
    with zipfile.ZipFile(GOLD_HOURLY) as archive, archive.open("xauusd.csv") as raw:
        for line in io.TextIOWrapper(raw, encoding="ascii"):
            when = line[:14]
            if when < first:
                continue
            if when > last:
                return
            yield from _bar_quotes(line.rstrip().split(","))


def _bar_quotes(row: list[str]) -> Iterator[Quote]:
    start = datetime.strptime(row[0], "%Y%m%d %H:%M").replace(tzinfo=UTC)
    bid_open, bid_high, bid_low, bid_close = (Decimal(value) for value in row[1:5])
    ask_open, ask_close = Decimal(row[6]), Decimal(row[9])
    spread = ask_close - bid_close
    extremes = (bid_high, bid_low) if bid_close < bid_open else (bid_low, bid_high)
    points = [(bid_open, ask_open), *((bid, bid + spread) for bid in extremes), (bid_close, ask_close)]
    for minutes, (bid, ask) in zip((0, 20, 40, 59), points, strict=True):
        yield Quote("XAUUSD", bid, ask, start + timedelta(minutes=minutes))
