"""One quote of one symbol through every market guard that watches quotes."""

from __future__ import annotations

from core.domain.market.config import MarketConfig
from core.domain.market.events import MarketEvent
from core.domain.market.gap import check_gap
from core.domain.market.spread import check_blowout, sampled, usual_spread
from core.domain.market.stale import ended_pauses
from core.domain.market.state import BlowoutEpisodes, SpreadSamples, SymbolMarket
from core.domain.snapshot import Quote


def observe_quote(
    state: SymbolMarket | None, quote: Quote, config: MarketConfig
) -> tuple[SymbolMarket, list[MarketEvent]]:
    """The symbol's state after this quote, and the guards it fired. A quote not newer than the
    last one changes nothing (several accounts report the same symbol)."""
    if state is None:
        return _first(quote, config), []
    if quote.symbol != state.symbol:
        raise ValueError(f"a {quote.symbol} quote cannot update the state of {state.symbol}")
    if quote.time <= state.last_time:
        return state, []
    gaps, gap = check_gap(state, quote, config)
    spread = quote.ask - quote.bid
    blowouts, blowout = check_blowout(state.blowouts, usual_spread(state.spreads, config), quote, config)
    changed = (quote.bid, quote.ask) != (state.last_bid, state.last_ask)
    after = SymbolMarket(
        symbol=state.symbol,
        last_bid=quote.bid,
        last_ask=quote.ask,
        last_time=quote.time,
        last_change_time=quote.time if changed else state.last_change_time,
        spreads=sampled(state.spreads, spread, quote.time, config),
        gaps=gaps,
        blowouts=blowouts,
        stale_episodes=ended_pauses(state, quote.time, config) if changed else state.stale_episodes,
    )
    return after, [event for event in (gap, blowout) if event is not None]


def _first(quote: Quote, config: MarketConfig) -> SymbolMarket:
    return SymbolMarket(
        symbol=quote.symbol,
        last_bid=quote.bid,
        last_ask=quote.ask,
        last_time=quote.time,
        last_change_time=quote.time,
        spreads=sampled(SpreadSamples(), quote.ask - quote.bid, quote.time, config),
        blowouts=BlowoutEpisodes(calm_mid=(quote.ask + quote.bid) / 2, calm_time=quote.time),
    )
