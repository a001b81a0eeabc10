"""The market guards' memory per server and symbol in Redis (core.services.ports.hot.MarketMemory):
one key per symbol, `tg:v1:{mkt:<server>}:<symbol>`, all of a server's symbols in one hash slot.

Two snapshots carrying the same symbol are ordered by WATCH/MULTI instead of row locks: the second to
commit sees its keys changed, reads them again and judges again (bounded; past that the last write
wins, which loses at most one quote's memory). Lost altogether (a Redis flush), a symbol starts over
from its next quote: a gap across the flush goes unseen, nothing is wrongly fired."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TypeVar

from redis.asyncio import Redis
from redis.exceptions import WatchError

from core.services.ports import SymbolMemory
from db.redis_store import PREFIX
from db.repositories.market import memory_from_json, memory_to_json

log = logging.getLogger(__name__)
T = TypeVar("T")
ATTEMPTS = 5
MEMORY_TTL_SECONDS = 7 * 86400


def symbol_key(server: str, symbol: str) -> str:
    return f"{PREFIX}:{{mkt:{server}}}:{symbol}"


class RedisMarketMemory:
    def __init__(self, redis: Redis, ttl_seconds: int = MEMORY_TTL_SECONDS) -> None:
        self.redis = redis
        self.ttl_seconds = ttl_seconds

    async def update(
        self,
        server: str,
        symbols: list[str],
        change: Callable[[dict[str, SymbolMemory]], tuple[dict[str, SymbolMemory], T]],
    ) -> T:
        keys = [symbol_key(server, symbol) for symbol in symbols]
        if not keys:
            return change({})[1]
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
                    return result
                except WatchError:
                    log.debug("market memory of %s changed meanwhile: judged again", server)
        raise AssertionError("unreachable: the last try watches nothing")
