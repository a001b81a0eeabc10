"""Fast markets: an account's drawdown deepening by `fast_market_points` within
`fast_market_window_seconds`.

The guard keeps a short drawdown history in its state: only the points that can still be the
shallowest of a window ending later (a point at or deeper than a later one never can), at most one
per whole second, and none older than the window. So it holds at most window + 1 points however
often snapshots come (a point merged into its second keeps the later time: the window may reach
back up to a second further, never less far).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from core.domain.guard.config import GuardConfig
from core.domain.guard.events import FastMarketDetected, GuardEvent
from core.domain.guard.state import GuardState

History = tuple[tuple[datetime, Decimal], ...]


@dataclass(frozen=True)
class FastMove:
    from_percent: Decimal
    to_percent: Decimal
    seconds: int


def watch_fast_market(
    state: GuardState, now: datetime, config: GuardConfig
) -> tuple[GuardState, FastMove | None, list[GuardEvent]]:
    """Judge the drawdown of the snapshot just recorded against the window before it.

    An episode lasts while fast moves follow each other within a window; `FastMarketDetected` is
    reported once, at its start."""
    window = config.fast_market_window_seconds
    drawdown = state.drawdown_percent
    move = fast_move(state.drawdown_history, now, drawdown, window, config.fast_market_points)
    state = replace(state, drawdown_history=remember(state.drawdown_history, now, drawdown, window))
    if move is None:
        return state, None, []
    last = state.fast_market_at
    if last is not None and now - last <= timedelta(seconds=window):
        return replace(state, fast_market_at=max(last, now)), move, []
    episode = state.fast_market_episode + 1
    state = replace(state, fast_market_at=now, fast_market_episode=episode)
    return state, move, [FastMarketDetected(episode, move.from_percent, move.to_percent, move.seconds)]


def within_window(history: History, now: datetime, window_seconds: int) -> History:
    start = now - timedelta(seconds=window_seconds)
    return tuple((moment, percent) for moment, percent in history if start <= moment <= now)


def fast_move(
    history: History, now: datetime, drawdown: Decimal, window_seconds: int, points: Decimal
) -> FastMove | None:
    """The deepening from the shallowest drawdown of the window to `drawdown`, if it reaches `points`."""
    recent = within_window(history, now, window_seconds)
    if not recent:
        return None
    moment, shallowest = min(recent, key=lambda point: point[1])
    if drawdown - shallowest < points:
        return None
    return FastMove(shallowest, drawdown, int((now - moment).total_seconds()))


def remember(history: History, now: datetime, drawdown: Decimal, window_seconds: int) -> History:
    """`history` with the drawdown at `now`, keeping only what a later window can need (see above)."""
    if history and now < history[-1][0]:
        return history  # a snapshot older than one already seen: the history only moves forward
    kept = list(within_window(history, now, window_seconds))
    while kept and kept[-1][1] >= drawdown:
        kept.pop()
    if kept and _same_second(kept[-1][0], now):
        kept[-1] = (now, kept[-1][1])
    else:
        kept.append((now, drawdown))
    return tuple(kept)


def _same_second(earlier: datetime, later: datetime) -> bool:
    return int(earlier.timestamp()) == int(later.timestamp())
