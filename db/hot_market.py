"""The market guards' memory per server and symbol in Redis (core.services.ports.hot.MarketMemory):
one key per symbol, `tg:v1:{mkt:<server>}:<symbol>`, all of a server's symbols in one hash slot.

Two snapshots carrying the same symbol are ordered by WATCH/MULTI instead of row locks: the second to
commit sees its keys changed, reads them again and judges again (bounded; past that the last write
wins, which loses at most one quote's memory). Lost altogether (a Redis flush), a symbol starts over
from its next quote: a gap across the flush goes unseen, nothing is wrongly fired.

Most snapshots carry quotes already judged (every account on a server reports the same tick): a
judgement that would write nothing, made against memories this process read or wrote less than
RECALL_SECONDS ago, needs no round trip. A quote newer than the one remembered always writes, so it
always goes to Redis; what a recalled judgement may miss is only an event another process recorded
within RECALL_SECONDS, which the account hears on a later snapshot (events stay RECENT_SECONDS)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.exceptions import WatchError

from core.domain.codec import decode_time, to_json
from core.domain.market import (
    GapDetected,
    MarketEvent,
    MoveDirection,
    QuotesStale,
    SpreadBlowout,
    SymbolMarket,
)
from core.services.ports import SymbolMemory
from db.redis_store import PREFIX

log = logging.getLogger(__name__)
T = TypeVar("T")
ATTEMPTS = 5
MEMORY_TTL_SECONDS = 7 * 86400
RECALL_SECONDS = 1.0
RECALLED_SYMBOLS = 10_000  # past this many (server, symbol) pairs the recall starts over
JsonDict = dict[str, Any]
# How a stored event says what it is: these names are in keys already written, never rename one.
EVENT_KINDS: dict[str, type[MarketEvent]] = {
    "gap": GapDetected,
    "spread": SpreadBlowout,
    "stale": QuotesStale,
}
TIME_FIELDS = ("time", "previous_time", "unchanged_since")
DECIMAL_FIELDS = ("previous_bid", "bid", "move_percent", "spread", "usual_spread", "multiple")


def symbol_key(server: str, symbol: str) -> str:
    return f"{PREFIX}:{{mkt:{server}}}:{symbol}"


class RedisMarketMemory:
    def __init__(
        self, redis: Redis, ttl_seconds: int = MEMORY_TTL_SECONDS, recall_seconds: float = RECALL_SECONDS
    ) -> None:
        self.redis = redis
        self.ttl_seconds = ttl_seconds
        self.recall_seconds = recall_seconds
        self._recalled: dict[tuple[str, str], tuple[float, SymbolMemory]] = {}

    async def update(
        self,
        server: str,
        symbols: list[str],
        change: Callable[[dict[str, SymbolMemory]], tuple[dict[str, SymbolMemory], T]],
    ) -> T:
        keys = [symbol_key(server, symbol) for symbol in symbols]
        if not keys:
            return change({})[1]
        recalled = self._recall(server, symbols)
        if recalled is not None:
            changed, result = change(recalled)
            if not changed:
                return result
        for attempt in range(ATTEMPTS):
            last = attempt == ATTEMPTS - 1  # the last try watches nothing: its write wins
            async with self.redis.pipeline(transaction=True) as pipe:
                try:
                    if last:
                        raw = await self.redis.mget(keys)
                    else:
                        await pipe.watch(*keys)
                        raw = await pipe.mget(keys)
                    stored = {
                        symbol: memory_from_json(json.loads(value))
                        for symbol, value in zip(symbols, raw, strict=True)
                        if value is not None
                    }
                    changed, result = change(stored)
                    pipe.multi()
                    for symbol, memory in changed.items():
                        pipe.set(
                            symbol_key(server, symbol),
                            json.dumps(memory_to_json(memory)),
                            ex=self.ttl_seconds,
                        )
                    await pipe.execute()
                    self._remember(server, {**stored, **changed})
                    return result
                except WatchError:
                    log.debug("market memory of %s changed meanwhile: judged again", server)
        raise AssertionError("unreachable: the last try watches nothing")

    def _recall(self, server: str, symbols: list[str]) -> dict[str, SymbolMemory] | None:
        """These symbols' memories as this process last saw them, if it saw each of them recently."""
        horizon = time.monotonic() - self.recall_seconds
        recalled = {}
        for symbol in symbols:
            found = self._recalled.get((server, symbol))
            if found is None or found[0] < horizon:
                return None
            recalled[symbol] = found[1]
        return recalled

    def _remember(self, server: str, memories: dict[str, SymbolMemory]) -> None:
        if len(self._recalled) > RECALLED_SYMBOLS:
            self._recalled.clear()
        now = time.monotonic()
        for symbol, memory in memories.items():
            found = self._recalled.get((server, symbol))
            if found is None or found[1].state.last_time <= memory.state.last_time:  # never step back
                self._recalled[(server, symbol)] = (now, memory)


def memory_to_json(memory: SymbolMemory) -> JsonDict:
    return {"state": memory.state.to_dict(), "recent": [event_to_json(event) for event in memory.recent]}


def memory_from_json(stored: JsonDict) -> SymbolMemory:
    """A row written before events were kept has no `recent`."""
    recent = tuple(event_from_json(event) for event in stored.get("recent", []))
    return SymbolMemory(SymbolMarket.from_dict(stored["state"]), recent)


def event_to_json(event: MarketEvent) -> JsonDict:
    kind = next(name for name, kind in EVENT_KINDS.items() if isinstance(event, kind))
    fields = to_json(event)
    assert isinstance(fields, dict)
    return {"kind": kind, **fields}


def event_from_json(data: JsonDict) -> MarketEvent:
    fields = {name: value for name, value in data.items() if name != "kind"}
    for name in TIME_FIELDS:
        if name in fields:
            fields[name] = decode_time(fields[name])
    for name in DECIMAL_FIELDS:
        if name in fields:
            fields[name] = Decimal(fields[name])
    if fields.get("direction") is not None:
        fields["direction"] = MoveDirection(fields["direction"])
    event: MarketEvent = EVENT_KINDS[data["kind"]](**fields)
    return event
