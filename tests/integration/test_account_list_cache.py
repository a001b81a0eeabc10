"""Each user's list of links in the read cache (Redis): loaded once however many ask at once, carried
exactly, kept no longer than its TTL, and read again after an invalidation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.app import Core
from core.domain.models import LinkedAccount
from db.redis_store import Keys, RedisViewCache

LINKS = [
    LinkedAccount(7, 3, 5550001, "Broker-Live", datetime(2026, 3, 2, 9, 30, 0, 125000, tzinfo=UTC), 42, True),
    LinkedAccount(9, 3, 5550002, "Other Demo", datetime(2026, 3, 3, 10, 0, tzinfo=UTC), 42, False),
]


async def test_concurrent_misses_load_the_list_once_and_it_comes_back_exactly(core: Core) -> None:
    cache = RedisViewCache(core.redis)
    loads = 0

    async def load() -> list[LinkedAccount]:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0.1)
        return LINKS

    results = await asyncio.gather(*(cache.user_accounts(3, 5, load) for _ in range(20)))

    assert loads == 1
    assert all(result == LINKS for result in results)
    assert await cache.user_accounts(3, 5, load) == LINKS
    assert loads == 1
    assert (cache.counts.misses["accounts"], cache.counts.hits["accounts"]) == (1, 20)
    assert 0 < await core.redis.ttl(Keys.user_accounts(3, 0)) <= 5


async def test_an_invalidated_list_is_loaded_again(core: Core) -> None:
    cache = RedisViewCache(core.redis)

    async def old() -> list[LinkedAccount]:
        return LINKS[:1]

    async def new() -> list[LinkedAccount]:
        return LINKS

    assert await cache.user_accounts(4, 5, old) == LINKS[:1]
    await cache.invalidate_user(4)

    assert await cache.user_accounts(4, 5, new) == LINKS
