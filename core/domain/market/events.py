"""What the market guards report, and who is exposed to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from core.domain.snapshot import Side


class MoveDirection(StrEnum):
    DOWN = "down"
    UP = "up"

    @classmethod
    def of(cls, move: Decimal) -> MoveDirection:
        return cls.DOWN if move < 0 else cls.UP


@dataclass(frozen=True)
class GapDetected:
    symbol: str
    previous_bid: Decimal
    previous_time: datetime
    bid: Decimal
    time: datetime
    move_percent: Decimal  # signed: negative when the bid fell
    direction: MoveDirection
    episode: int


@dataclass(frozen=True)
class SpreadBlowout:
    symbol: str
    spread: Decimal
    usual_spread: Decimal
    multiple: Decimal
    direction: MoveDirection | None  # the mid's move since the spread widened
    time: datetime
    episode: int
    move_percent: Decimal  # signed, of the mid since before the spread widened


@dataclass(frozen=True)
class QuotesStale:
    symbol: str
    unchanged_since: datetime
    time: datetime
    episode: int


MarketEvent = GapDetected | SpreadBlowout | QuotesStale


def hurts(event: MarketEvent, side: Side) -> bool:
    """Whether a position of `side` is exposed: a long is hurt by a DOWN move (the bid falls), a short
    by an UP move; an event without a direction (frozen quotes: the guard cannot see either move)
    hurts both."""
    direction = event.direction if isinstance(event, GapDetected | SpreadBlowout) else None
    if direction is None:
        return True
    return direction is (MoveDirection.DOWN if side is Side.BUY else MoveDirection.UP)
