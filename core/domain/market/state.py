"""Everything the market guards remember about one symbol on one server.

The service persists it as JSON (`to_dict`/`from_dict`, one row per server and symbol), so a
restart forgets neither the usual spread nor an open episode.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from core.domain.codec import decode_optional_time, decode_time, encode_optional_time, encode_time
from core.domain.market.events import MoveDirection


@dataclass(frozen=True)
class SpreadSamples:
    """The last spreads seen, at most one per sampling interval, oldest first."""

    values: tuple[Decimal, ...] = ()
    last_time: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"values": [str(value) for value in self.values], "last_time": _time_out(self.last_time)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SpreadSamples:
        return cls(tuple(Decimal(value) for value in data["values"]), _time_in(data["last_time"]))


@dataclass(frozen=True)
class GapEpisodes:
    """`count` episodes so far; the last one is open while `last_gap_time` is recent."""

    count: int = 0
    direction: MoveDirection | None = None
    last_gap_time: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "direction": _direction_out(self.direction),
            "last_gap_time": _time_out(self.last_gap_time),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GapEpisodes:
        return cls(data["count"], _direction_in(data["direction"]), _time_in(data["last_gap_time"]))


@dataclass(frozen=True)
class BlowoutEpisodes:
    """`count` episodes fired so far. `calm_mid` is the mid of the last quote with a usual spread.
    While the spread is wide, `reference_mid` holds the mid from before it widened; `fired` is the
    direction this widening has already been reported in."""

    count: int = 0
    calm_mid: Decimal | None = None
    calm_time: datetime | None = None
    reference_mid: Decimal | None = None
    last_wide_time: datetime | None = None
    fired: MoveDirection | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "calm_mid": _decimal_out(self.calm_mid),
            "calm_time": _time_out(self.calm_time),
            "reference_mid": _decimal_out(self.reference_mid),
            "last_wide_time": _time_out(self.last_wide_time),
            "fired": _direction_out(self.fired),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BlowoutEpisodes:
        return cls(
            data["count"],
            _decimal_in(data["calm_mid"]),
            _time_in(data["calm_time"]),
            _decimal_in(data["reference_mid"]),
            _time_in(data["last_wide_time"]),
            _direction_in(data["fired"]),
        )


@dataclass(frozen=True)
class SymbolMarket:
    symbol: str
    last_bid: Decimal
    last_ask: Decimal
    last_time: datetime
    last_change_time: datetime  # when bid or ask last differed from the quote before
    spreads: SpreadSamples = field(default_factory=SpreadSamples)
    gaps: GapEpisodes = field(default_factory=GapEpisodes)
    blowouts: BlowoutEpisodes = field(default_factory=BlowoutEpisodes)
    stale_episodes: int = 0  # long pauses ended so far; the current one, if stale, is the next

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "last_bid": str(self.last_bid),
            "last_ask": str(self.last_ask),
            "last_time": encode_time(self.last_time),
            "last_change_time": encode_time(self.last_change_time),
            "spreads": self.spreads.to_dict(),
            "gaps": self.gaps.to_dict(),
            "blowouts": self.blowouts.to_dict(),
            "stale_episodes": self.stale_episodes,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SymbolMarket:
        return cls(
            symbol=data["symbol"],
            last_bid=Decimal(data["last_bid"]),
            last_ask=Decimal(data["last_ask"]),
            last_time=decode_time(data["last_time"]),
            last_change_time=decode_time(data["last_change_time"]),
            spreads=SpreadSamples.from_dict(data["spreads"]),
            gaps=GapEpisodes.from_dict(data["gaps"]),
            blowouts=BlowoutEpisodes.from_dict(data["blowouts"]),
            stale_episodes=data["stale_episodes"],
        )


def _time_out(value: datetime | None) -> str | None:
    return encode_optional_time(value)


def _time_in(value: str | None) -> datetime | None:
    return decode_optional_time(value)


def _decimal_out(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal_in(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _direction_out(value: MoveDirection | None) -> str | None:
    return None if value is None else value.value


def _direction_in(value: str | None) -> MoveDirection | None:
    return None if value is None else MoveDirection(value)
