"""Redis holds only what may be lost and rebuilt: cache entries, latest snapshots, nonces, doorbells.

Every key is built here, under one version prefix, so a format change is one edit.

The cache and the doorbell are best effort: while Redis is down a view is
read from Postgres, an invalidation or a copy is skipped (a cached view expires within its TTL), a
ring is not heard (the relay polls the outbox), and the outage is logged once (core.services.health).
Nonces and rate limits are not: without them a request cannot be checked, so it is refused (503).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from core.domain.codec import decode_optional_time, decode_time, encode_optional_time, encode_time, to_json
from core.domain.models import AccountView, LinkedAccount
from core.services.health import BEST_EFFORT_SECONDS, Health, best_effort
from core.services.ports.views import CacheCounts

PREFIX = "tg:v1"
OUTBOX_CHANNEL = f"{PREFIX}:outbox"
JsonDict = dict[str, Any]
VERSION_SECONDS = 7 * 86400  # outlives every entry kept under it (USER_CACHE_REDIS_SECONDS at most a week)
CACHE_HEALTH = "redis-cache"


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
    def account_part(account_id: int, kind: str, version: int) -> str:
        return f"{PREFIX}:acct:{account_id}:{kind}:{version}"

    @staticmethod
    def user_version(user_id: int) -> str:
        return f"{PREFIX}:user:{user_id}:ver"

    @staticmethod
    def user_accounts(user_id: int, version: int) -> str:
        return f"{PREFIX}:user:{user_id}:accounts:{version}"

    @staticmethod
    def user_record(telegram_id: int) -> str:
        """One key per Telegram user, its own hash tag (Cluster: a user's copy is one slot)."""
        return f"{PREFIX}:{{tguser:{telegram_id}}}:record"

    @staticmethod
    def lock(key: str) -> str:
        return f"{key}:lock"


MONEY_FIELDS = ("balance", "equity", "margin", "peak_equity")


def view_to_json(view: AccountView) -> JsonDict:
    """A cached view as JSON (never pickle): Decimals as exact strings, the time in ISO 8601."""
    data: JsonDict = {
        "account_id": view.account_id,
        "login": view.login,
        "server": view.server,
        "currency": view.currency,
        "last_snapshot_at": encode_optional_time(view.last_snapshot_at),
        "positions": list(view.positions),
        "guard_status": view.guard_status,
        "guard_stale": view.guard_stale,
        "locked": view.locked,
        "personal_limit": _decimal_out(view.personal_limit),
        "shared": view.shared,
        "owner_telegram_id": view.owner_telegram_id,
    }
    return data | {name: _decimal_out(getattr(view, name)) for name in MONEY_FIELDS}


def view_from_json(data: JsonDict) -> AccountView:
    money = {name: _decimal_in(data[name]) for name in MONEY_FIELDS}
    return AccountView(
        account_id=data["account_id"],
        login=data["login"],
        server=data["server"],
        currency=data["currency"],
        last_snapshot_at=decode_optional_time(data["last_snapshot_at"]),
        positions=tuple(data["positions"]),
        guard_status=data["guard_status"],
        guard_stale=data["guard_stale"],
        locked=data["locked"],
        personal_limit=_decimal_in(data["personal_limit"]),
        shared=bool(data.get("shared")),
        owner_telegram_id=int(data.get("owner_telegram_id") or 0),
        **money,
    )


def accounts_to_json(accounts: list[LinkedAccount]) -> list[JsonDict]:
    return [
        {
            "id": a.id,
            "user_id": a.user_id,
            "login": a.login,
            "server": a.server,
            "linked_at": encode_time(a.linked_at),
            "owner_telegram_id": a.owner_telegram_id,
            "shared": a.shared,
        }
        for a in accounts
    ]


def accounts_from_json(data: list[JsonDict]) -> list[LinkedAccount]:
    return [
        LinkedAccount(
            id=a["id"],
            user_id=a["user_id"],
            login=a["login"],
            server=a["server"],
            linked_at=decode_time(a["linked_at"]),
            owner_telegram_id=a["owner_telegram_id"],
            shared=a["shared"],
        )
        for a in data
    ]


def _decimal_out(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal_in(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


class RedisNonceStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def remember(self, device_id: str, nonce: str, ttl_seconds: int) -> bool:
        return bool(await self.redis.set(Keys.nonce(device_id, nonce), "1", nx=True, ex=ttl_seconds))


class RedisViewCache:
    """Cache-aside with versioned keys (an invalidation can never be undone by a slow loader) and a
    short lock so that when an entry expires one caller loads it while the others wait for it. Two kinds
    of entry: an account's view (`view_to_json`) and a user's list of links (`accounts_to_json`), both
    JSON (never pickle). `counts` tells /metrics the hits and misses of each kind."""

    LOCK_MS = 2000
    WAIT_STEP = 0.02

    def __init__(self, redis: Redis, max_wait_seconds: float = 1.0, health: Health | None = None) -> None:
        self.redis = redis
        self.max_wait_seconds = max_wait_seconds
        self.health = health or Health(CACHE_HEALTH)
        self.counts = CacheCounts()
        self.owed: set[str] = set()  # version keys whose bump Redis missed (down): bumped once it answers

    async def account_view(
        self, account_id: int, ttl_seconds: int, load: Callable[[], Awaitable[AccountView | None]]
    ) -> AccountView | None:
        entry = _Entry("view", Keys.account_version(account_id), lambda v: Keys.account_view(account_id, v))
        found = await self._cached(entry, ttl_seconds, load, view_to_json)
        return view_from_json(found[1]) if found[0] else found[1]

    async def account_json(
        self, account_id: int, kind: str, ttl_seconds: int, load: Callable[[], Awaitable[JsonDict | None]]
    ) -> JsonDict | None:
        """Under the account's version, so `invalidate_account` drops it with the view."""
        version_key = Keys.account_version(account_id)
        entry = _Entry(kind, version_key, lambda v: Keys.account_part(account_id, kind, v))
        found = await self._cached(entry, ttl_seconds, load, lambda value: value)
        return found[1]  # type: ignore[no-any-return]

    async def user_accounts(
        self,
        user_id: int,
        ttl_seconds: int,
        load: Callable[[], Awaitable[list[LinkedAccount]]],
        quiet: bool = False,
    ) -> list[LinkedAccount]:
        entry = _Entry("accounts", Keys.user_version(user_id), lambda v: Keys.user_accounts(user_id, v))
        found = await self._cached(entry, ttl_seconds, load, accounts_to_json, quiet)
        return accounts_from_json(found[1]) if found[0] else found[1]

    async def _cached(
        self, entry: _Entry, ttl_seconds: int, load: Any, encode: Any, quiet: bool = False
    ) -> tuple[bool, Any]:
        """(True, the cached JSON) on a hit, else (False, what `load` gave, now stored unless None).
        `quiet`: a write-through (best_effort's)."""
        if self.owed:
            await self._bump(*self.owed)
        found = await best_effort(self.health, lambda: self._lookup(entry), None, quiet=quiet)
        if found is None:  # Redis is down: the database answers
            self.counts.miss(entry.kind)
            return False, await load()
        key, cached, loader = found
        if cached is None and not loader:
            cached = await self._wait_for(key)
        if cached is not None:
            self.counts.hit(entry.kind)
            return True, json.loads(cached)
        self.counts.miss(entry.kind)
        value = await load()
        store = (key, entry.version_key, value, encode, ttl_seconds)
        await best_effort(self.health, lambda: self._store(*store), None, quiet=quiet)
        return False, value

    async def _lookup(self, entry: _Entry) -> tuple[str, str | None, bool]:
        """The entry's key, its cached value, and whether this caller is to load it (holds the lock)."""
        key = entry.key(int(await self.redis.get(entry.version_key) or 0))
        cached = await self.redis.get(key)
        if cached is not None:
            return key, cached, False
        return key, None, bool(await self.redis.set(Keys.lock(key), "1", nx=True, px=self.LOCK_MS))

    async def _store(self, key: str, version_key: str, value: Any, encode: Any, ttl_seconds: int) -> None:
        """The entry, and its version key kept at least as long (were the version key to expire before
        an entry under it, counting again from 0 could meet that entry)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            if value is not None:
                pipe.set(key, json.dumps(to_json(encode(value))), ex=ttl_seconds)
                pipe.expire(version_key, VERSION_SECONDS)
            pipe.delete(Keys.lock(key))
            await pipe.execute()

    async def _wait_for(self, key: str) -> str | None:
        for _ in range(int(self.max_wait_seconds / self.WAIT_STEP)):
            await asyncio.sleep(self.WAIT_STEP)
            cached = await best_effort(self.health, lambda: self.redis.get(key), None)
            if cached is not None:
                return str(cached)
            if not self.health.healthy:
                return None
        return None

    async def invalidate_account(self, account_id: int) -> None:
        await self._bump(Keys.account_version(account_id))

    async def invalidate_user(self, user_id: int) -> None:
        """The user's links changed (linked, re-linked, shared): their list is read again."""
        await self._bump(Keys.user_version(user_id))

    async def _bump(self, *version_keys: str) -> None:
        """Best effort, like after-commit news (bot.app): a failure is logged once per outage, a success
        reported only as a recovery, so a process that only links lists no Redis loop on /ready. A bump
        Redis missed is owed, and paid with the next call that reaches it: an entry kept long (a list of
        links) does not outlive the outage by its TTL, unless this process ends first."""
        keys = {*version_keys, *self.owed}
        if not self.health.may_try():
            self.owed |= keys
            return
        try:
            async with asyncio.timeout(BEST_EFFORT_SECONDS), self.redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.incr(key)
                    pipe.expire(key, VERSION_SECONDS)
                await pipe.execute()
        except Exception as error:
            self.owed |= keys
            self.health.failed(error)
            return
        self.owed -= keys
        if not self.health.healthy:
            self.health.succeeded()


@dataclass(frozen=True)
class _Entry:
    kind: str
    version_key: str
    key: Callable[[int], str]


class RedisDoorbell:
    def __init__(self, redis: Redis, health: Health | None = None) -> None:
        self.redis = redis
        self.health = health or Health(CACHE_HEALTH)

    async def ring(self) -> None:
        await best_effort(self.health, lambda: self.redis.publish(OUTBOX_CHANNEL, "1"), None)


RATE_COUNT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


class RedisRateLimiter:
    """A fixed one-second window per device: enough to stop a runaway EA loop. One script call (the
    window starts with the device's first request in it), cheaper than a pipeline of SET NX and INCR."""

    def __init__(self, redis: Redis, per_second: int = 20) -> None:
        self.redis = redis
        self.per_second = per_second
        self._count = redis.register_script(RATE_COUNT)

    async def __call__(self, device_id: str) -> int | None:
        count = await self._count(keys=[f"{PREFIX}:rate:{device_id}"], args=[1])
        return 1 if int(count) > self.per_second else None


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
