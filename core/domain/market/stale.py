"""The stale-quote guard: a held symbol whose quote has not changed for STALE_QUOTE_SECONDS of
trading time while other symbols of the same server kept moving (so the feed is alive and this
symbol's price is frozen: the guard cannot see what it would lose)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from core.domain.market.config import MarketConfig
from core.domain.market.events import QuotesStale
from core.domain.market.hours import is_trading, trading_time_between
from core.domain.market.state import SymbolMarket


def stale_quotes(
    states: Mapping[str, SymbolMarket], held: Iterable[str], now: datetime, config: MarketConfig
) -> list[QuotesStale]:
    """The held symbols frozen for the threshold; the episode is the pause's number, so a symbol
    stays one episode until its quote changes again (`SymbolMarket.stale_episodes`)."""
    if not is_trading(now, config):
        return []
    threshold = timedelta(seconds=config.stale_quote_seconds)
    moving = {symbol for symbol, state in states.items() if now - state.last_change_time < threshold}
    stale = []
    for symbol in sorted(set(held)):
        state = states.get(symbol)
        if state is None or not moving - {symbol}:
            continue
        if trading_time_between(state.last_change_time, now, config) >= threshold:
            stale.append(QuotesStale(symbol, state.last_change_time, now, state.stale_episodes + 1))
    return stale


def ended_pauses(state: SymbolMarket, changed_at: datetime, config: MarketConfig) -> int:
    """`stale_episodes` after the quote changed at `changed_at`: one more if the pause it ends was
    long enough to have been reported (wall time counts at least as much as trading time)."""
    pause = changed_at - state.last_change_time
    return state.stale_episodes + (1 if pause >= timedelta(seconds=config.stale_quote_seconds) else 0)
