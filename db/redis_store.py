"""Redis holds only what may be lost and rebuilt: cache entries, latest snapshots, nonces, doorbells.

Every key is built here, under one version prefix, so a format change is one edit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

PREFIX = "tg:v1"
OUTBOX_CHANNEL = f"{PREFIX}:outbox"
JsonDict = dict[str, Any]


class Keys:
    @staticmethod
    def nonce(device_id: str, nonce: str) -> str:
        return f"{PREFIX}:nonce:{device_id}:{nonce}"

    @staticmethod
    def account_version(account_id: int) -> str:
        return f"{PREFIX}:acct:{account_id}:ver"

    @staticmethod
    def account_view(account_id: int, version: int) -> str:
        return f"{PREFIX}:acct:{account_id}:view:{version}"

    @staticmethod
    def latest_snapshot(account_id: int) -> str:
        return f"{PREFIX}:acct:{account_id}:latest"

    @staticmethod
    def lock(key: str) -> str:
        return f"{key}:lock"


def _dumps(value: JsonDict) -> str:
    return json.dumps(value, default=lambda o: str(o) if isinstance(o, Decimal) else o.isoformat())


class RedisNonceStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def remember(self, device_id: str, nonce: str, ttl_seconds: int) -> bool:
        return bool(await self.redis.set(Keys.nonce(device_id, nonce), "1", nx=True, ex=ttl_seconds))


class RedisViewCache:
    """Cache-aside with versioned keys (an invalidation can never be undone by a slow loader) and a
    short lock so that when an entry expires one caller loads it while the others wait for it."""

    LOCK_MS = 2000
    WAIT_STEP = 0.02

    def __init__(self, redis: Redis, max_wait_seconds: float = 1.0) -> None:
        self.redis = redis
        self.max_wait_seconds = max_wait_seconds

    async def account_view(
        self, account_id: int, ttl_seconds: int, load: Callable[[], Awaitable[JsonDict | None]]
    ) -> JsonDict | None:
        version = int(await self.redis.get(Keys.account_version(account_id)) or 0)
        key = Keys.account_view(account_id, version)
        cached = await self.redis.get(key)
        if cached is not None:
            return json.loads(cached)  # type: ignore[no-any-return]
        if not await self.redis.set(Keys.lock(key), "1", nx=True, px=self.LOCK_MS):
            waited = await self._wait_for(key)
            if waited is not None:
                return waited
        value = await load()
        if value is not None:
            await self.redis.set(key, _dumps(value), ex=ttl_seconds)
        await self.redis.delete(Keys.lock(key))
        return value

    async def _wait_for(self, key: str) -> JsonDict | None:
        for _ in range(int(self.max_wait_seconds / self.WAIT_STEP)):
            await asyncio.sleep(self.WAIT_STEP)
            cached = await self.redis.get(key)
            if cached is not None:
                return json.loads(cached)  # type: ignore[no-any-return]
        return None

    async def invalidate_account(self, account_id: int) -> None:
        version_key = Keys.account_version(account_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.incr(version_key)
            pipe.expire(version_key, 86400)
            await pipe.execute()


class RedisLatestSnapshots:
    def __init__(self, redis: Redis, ttl_seconds: int = 86400) -> None:
        self.redis = redis
        self.ttl_seconds = ttl_seconds

    async def put(self, account_id: int, snapshot_json: JsonDict) -> None:
        await self.redis.set(Keys.latest_snapshot(account_id), _dumps(snapshot_json), ex=self.ttl_seconds)

    async def get(self, account_id: int) -> JsonDict | None:
        raw = await self.redis.get(Keys.latest_snapshot(account_id))
        return json.loads(raw) if raw else None


class RedisDoorbell:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def ring(self) -> None:
        await self.redis.publish(OUTBOX_CHANNEL, "1")


class RedisRateLimiter:
    """A fixed one-second window per device: enough to stop a runaway EA loop."""

    def __init__(self, redis: Redis, per_second: int = 20) -> None:
        self.redis = redis
        self.per_second = per_second

    async def __call__(self, device_id: str) -> int | None:
        key = f"{PREFIX}:rate:{device_id}"
        async with self.redis.pipeline(transaction=False) as pipe:  # one round trip; works on Redis 6
            pipe.set(key, 0, ex=1, nx=True)
            pipe.incr(key)
            _, count = await pipe.execute()
        return 1 if count > self.per_second else None


class RedisDoorbellListener:
    """The relay's side of the doorbell: wait until rung, or until the timeout.

    A failure (Redis down) is raised to the caller, which falls back to polling; the subscription is
    dropped with it, so the next call starts a fresh one instead of reading a dead connection.
    """

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.pubsub: PubSub | None = None

    async def __call__(self, timeout: float) -> None:
        try:
            if self.pubsub is None:
                self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                await self.pubsub.subscribe(OUTBOX_CHANNEL)
            await self.pubsub.get_message(timeout=timeout)
        except BaseException:  # cancelled mid-read too: its connection is in an unknown state
            await self.close()
            raise

    async def close(self) -> None:
        pubsub, self.pubsub = self.pubsub, None
        if pubsub is not None:
            with contextlib.suppress(Exception):  # closing a dead connection may fail too; it is gone
                await pubsub.aclose()
