"""Trading hours, UTC, the same for every symbol: closed every day from `daily_break_start` to
`daily_break_end` (21:00-23:00 covers the rollover break of metals and indices in both summer
and winter time) and over the weekend, from Friday's break to the end of Sunday's (FX and
metals close Friday about 21:00-22:00 and reopen Sunday about 21:00-23:00)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from core.domain.market.config import MarketConfig

_FRIDAY, _SATURDAY, _SUNDAY = 4, 5, 6
_LONGEST_COUNT = timedelta(days=8)  # more than a week holds more trading time than any threshold


def is_trading(moment: datetime, config: MarketConfig) -> bool:
    moment = moment.astimezone(UTC)
    return any(start <= moment < end for start, end in _open_periods(moment, config))


def trading_time_between(start: datetime, end: datetime, config: MarketConfig) -> timedelta:
    """How much of [start, end) fell in trading hours (counted over the last eight days at most)."""
    start, end = max(start, end - _LONGEST_COUNT).astimezone(UTC), end.astimezone(UTC)
    total, day = timedelta(0), start
    while day.date() <= end.date():
        for open_, close in _open_periods(day, config):
            total += max(timedelta(0), min(close, end) - max(open_, start))
        day += timedelta(days=1)
    return total


def _open_periods(day: datetime, config: MarketConfig) -> list[tuple[datetime, datetime]]:
    midnight = datetime.combine(day.date(), time(0), UTC)
    break_start = datetime.combine(day.date(), config.daily_break_start, UTC)
    break_end = datetime.combine(day.date(), config.daily_break_end, UTC)
    before, after = (midnight, break_start), (break_end, midnight + timedelta(days=1))
    weekday = day.weekday()
    if weekday == _SATURDAY:
        return []
    if weekday == _FRIDAY:
        return [before]
    if weekday == _SUNDAY:
        return [after]
    return [before, after]
