"""Replay of real EURCHF ticks from 15 January 2015, when the SNB removed the 1.20 floor.

P&L model (deliberately simple): a long 1-lot EURCHF position (100,000 EUR) opened at the
first tick's bid, on a 10,000 CHF account, marked at the bid and counted 1:1 in account
currency: equity = 10,000 + (bid - first bid) x 100,000. The balance stays 10,000. Every
tick is one observation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache

import pytest

from core.domain.guard import (
    BreachReason,
    CloseAllDue,
    DrawdownWarned,
    GuardConfig,
    GuardEvent,
    GuardState,
    LiquidationTriggered,
    Observation,
    observe,
)
from sim.scenarios import REPLAY_TICKS_PATH

TICKS = REPLAY_TICKS_PATH  # the real file, shipped in the repository (sim/data/README.md)
FLOOR_REMOVED = datetime(2015, 1, 15, 9, 30, 47, tzinfo=UTC)
LOT = Decimal(100_000)
START_EQUITY = Decimal(10_000)


@cache
def bids() -> tuple[tuple[datetime, Decimal], ...]:
    """(time, bid) of every tick: `YYYY.MM.DD HH:MM:SS.mmm,bid,ask,bid_volume,ask_volume`, CRLF."""
    rows = (line.split(",") for line in TICKS.read_text().splitlines() if line)
    return tuple(
        (datetime.strptime(row[0], "%Y.%m.%d %H:%M:%S.%f").replace(tzinfo=UTC), Decimal(row[1]))
        for row in rows
    )


def replay(config: GuardConfig) -> tuple[GuardState, list[tuple[datetime, GuardEvent]]]:
    entry = bids()[0][1]
    state: GuardState | None = None
    timeline: list[tuple[datetime, GuardEvent]] = []
    for moment, bid in bids():
        equity = START_EQUITY + (bid - entry) * LOT
        state, events = observe(state, Observation(moment, equity, START_EQUITY, (1,)), config)
        timeline += [(moment, event) for event in events]
    assert state is not None
    return state, timeline


def test_the_whole_hour_of_ticks_is_read() -> None:
    assert len(bids()) == 973
    assert bids()[0] == (datetime(2015, 1, 15, 9, 0, 6, 42_000, tzinfo=UTC), Decimal("1.20094"))


def test_no_warning_comes_before_the_floor_is_removed() -> None:
    _, timeline = replay(GuardConfig())

    assert all(moment > FLOOR_REMOVED for moment, _ in timeline)


def test_warnings_at_10_and_15_then_the_liquidation_follow_within_seconds_of_the_removal() -> None:
    _, timeline = replay(GuardConfig())
    warned = [(moment, event.level) for moment, event in timeline if isinstance(event, DrawdownWarned)]
    triggered = [(moment, event) for moment, event in timeline if isinstance(event, LiquidationTriggered)]

    # The bid bounced to 1.18735 at 09:30:52.648 (drawdown 13.6 %, a point under 15) for 0.1 s: a
    # level re-arms only after WARNING_REARM_SECONDS a point below it, so 15 % warns once, not twice.
    assert [level for _, level in warned] == [Decimal(10), Decimal(15)]
    assert len(triggered) == 1 and triggered[0][1].reason is BreachReason.MAX_DRAWDOWN
    first_10, first_15, breach_at = warned[0][0], warned[1][0], triggered[0][0]
    assert FLOOR_REMOVED < first_10 < first_15 < breach_at < FLOOR_REMOVED + timedelta(seconds=10)


@pytest.mark.parametrize("grace", [0, 10])
def test_the_crash_is_closed_out_at_the_breaching_tick_whatever_the_grace(grace: int) -> None:
    # A 10 s grace once let the market fall another 33 % of the account (equity 4,642) before the
    # close was due; the drawdown deepening 5 points within 10 s is a fast market, which skips it.
    equity_at_close = Decimal(7_982)
    _, timeline = replay(GuardConfig(grace_seconds=grace))
    breach_at = next(moment for moment, event in timeline if isinstance(event, LiquidationTriggered))

    closes = [moment for moment, event in timeline if isinstance(event, CloseAllDue)]

    assert closes == [breach_at]
    entry = bids()[0][1]
    bid_at_close = dict(bids())[closes[0]]
    assert START_EQUITY + (bid_at_close - entry) * LOT == equity_at_close
