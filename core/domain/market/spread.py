"""The spread guard: the usual spread learned per symbol, and the blow-out that fires only when a
spread far over it comes with an adverse move of the mid.

Why the move: gold's spread widens every night at the rollover and at the Friday close (16 points
usually, up to 146) while the price barely moves; closing then would cost the trader the very
spread the guard fears. On the SNB day the spread blew out while the mid fell by percents.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from statistics import median

from core.domain.market.config import MarketConfig
from core.domain.market.events import MoveDirection, SpreadBlowout
from core.domain.market.hours import trading_time_between
from core.domain.market.state import BlowoutEpisodes, SpreadSamples
from core.domain.snapshot import Quote


def usual_spread(samples: SpreadSamples, config: MarketConfig) -> Decimal | None:
    """The median of the samples kept; unknown (None) until enough have been seen."""
    kept = samples.values[-config.spread_window :]  # a state saved under a longer window
    if len(kept) < config.spread_min_samples:
        return None
    return median(kept)


def sampled(samples: SpreadSamples, spread: Decimal, time: datetime, config: MarketConfig) -> SpreadSamples:
    """The samples with this spread added, if the last sample is old enough; the oldest drop out."""
    if samples.last_time is not None and time - samples.last_time < timedelta(
        seconds=config.spread_sample_seconds
    ):
        return samples
    return SpreadSamples((*samples.values, spread)[-config.spread_window :], time)


def check_blowout(
    episodes: BlowoutEpisodes, usual: Decimal | None, quote: Quote, config: MarketConfig
) -> tuple[BlowoutEpisodes, SpreadBlowout | None]:
    """An episode opens when the spread goes over `spread_multiplier` x usual and ends once no wide
    spread has been seen for `blowout_clear_seconds`. It fires when a wide quote's mid is
    `blowout_move_percent` or more from the mid before the widening; once per direction."""
    spread, mid = quote.ask - quote.bid, (quote.ask + quote.bid) / 2
    episodes = _cleared(episodes, quote.time, config)
    if usual is None or usual <= 0 or spread <= config.spread_multiplier * usual:
        return replace(episodes, calm_mid=mid, calm_time=quote.time), None
    reference = _reference(episodes, mid, quote.time, config)
    widening = replace(episodes, reference_mid=reference, last_wide_time=quote.time)
    move = mid - reference
    direction = MoveDirection.of(move)
    small = abs(move) * 100 < config.blowout_move_percent * reference
    if reference <= 0 or small or direction is episodes.fired:
        return widening, None
    count = episodes.count + 1
    blowout = SpreadBlowout(
        symbol=quote.symbol,
        spread=spread,
        usual_spread=usual,
        multiple=spread / usual,
        direction=direction,
        time=quote.time,
        episode=count,
        move_percent=move * 100 / reference,
    )
    return replace(widening, count=count, fired=direction), blowout


def _cleared(episodes: BlowoutEpisodes, time: datetime, config: MarketConfig) -> BlowoutEpisodes:
    last = episodes.last_wide_time
    if last is None or time - last < timedelta(seconds=config.blowout_clear_seconds):
        return episodes
    return replace(episodes, reference_mid=None, last_wide_time=None, fired=None)


def _reference(episodes: BlowoutEpisodes, mid: Decimal, time: datetime, config: MarketConfig) -> Decimal:
    """The mid before the widening; the wide quote's own when the market has been closed since the
    last calm quote (a Monday open's wide spread: the move over the weekend is the gap guard's)."""
    if episodes.reference_mid is not None:
        return episodes.reference_mid
    calm_mid, calm_time = episodes.calm_mid, episodes.calm_time
    if calm_mid is None or calm_time is None or _closed_since(calm_time, time, config):
        return mid
    return calm_mid


def _closed_since(calm_time: datetime, time: datetime, config: MarketConfig) -> bool:
    """No quote for a while and some of it out of trading hours (a stalled feed in a crash is not)."""
    pause = time - calm_time
    quiet = pause >= timedelta(seconds=config.blowout_clear_seconds)
    return quiet and trading_time_between(calm_time, time, config) < pause
