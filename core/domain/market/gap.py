"""The gap guard: a bid PRICE_GAP_ALERT_PERCENT or more from the last bid seen, however old that
is (a weekend or holiday gap compares with the last quote before the market closed)."""

from __future__ import annotations

from datetime import timedelta

from core.domain.market.config import MarketConfig
from core.domain.market.events import GapDetected, MoveDirection
from core.domain.market.state import GapEpisodes, SymbolMarket
from core.domain.snapshot import Quote


def check_gap(
    previous: SymbolMarket, quote: Quote, config: MarketConfig
) -> tuple[GapEpisodes, GapDetected | None]:
    """A gap fires once per episode: gaps in one direction each closer than `gap_clear_seconds` to
    the one before are one episode; a gap the other way starts a new one (it hurts the other side)."""
    episodes, move = previous.gaps, quote.bid - previous.last_bid
    if previous.last_bid <= 0 or abs(move) * 100 < config.gap_percent * previous.last_bid:
        return episodes, None
    direction = MoveDirection.of(move)
    if _continues(episodes, direction, quote, config):
        return GapEpisodes(episodes.count, direction, quote.time), None
    count = episodes.count + 1
    gap = GapDetected(
        symbol=quote.symbol,
        previous_bid=previous.last_bid,
        previous_time=previous.last_time,
        bid=quote.bid,
        time=quote.time,
        move_percent=move * 100 / previous.last_bid,
        direction=direction,
        episode=count,
    )
    return GapEpisodes(count, direction, quote.time), gap


def _continues(episodes: GapEpisodes, direction: MoveDirection, quote: Quote, config: MarketConfig) -> bool:
    last = episodes.last_gap_time
    recent = last is not None and quote.time - last < timedelta(seconds=config.gap_clear_seconds)
    return recent and episodes.direction is direction
