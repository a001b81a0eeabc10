"""The users the bot resolves, shared by every process (core.services.users): one JSON record per Telegram
id (key: db.redis_store.Keys.user_record), replaced after each commit that writes the user, filled from
Postgres only where absent (SET NX: a reader holding an older row never overwrites a newer write). An entry
that does not decode is a miss, and dropped. Best effort: while Redis is down a read is a miss and a write
is skipped, logged once per outage; a replacement Redis missed is owed as a deletion, paid with the next
call that reaches it, so a stale copy does not outlive the outage by its TTL (unless this process ends
first: then by USER_CACHE_REDIS_SECONDS at most)."""

from __future__ import annotations

import json

from redis.asyncio import Redis

from core.domain.models import User
from core.services.health import Health, best_effort
from db.redis_store import CACHE_HEALTH, Keys

FIELDS = ("id", "telegram_id", "first_name", "language", "username", "start_payload", "blocked_bot")
OPTIONAL = ("username", "start_payload")
MAX_OWED = 100_000


class RedisUserCache:
    """Every call is best effort and quiet: a failure is logged once per outage and a success reported
    only as a recovery, so an API process that links accounts lists no Redis loop on /ready."""

    def __init__(self, redis: Redis, ttl_seconds: int, health: Health | None = None) -> None:
        self.redis = redis
        self.ttl_seconds = ttl_seconds
        self.health = health or Health(CACHE_HEALTH)
        self.owed: set[str] = set()  # keys whose replacement Redis missed: to delete once it answers

    async def get(self, telegram_id: int) -> User | None:
        key = Keys.user_record(telegram_id)
        await self._pay()
        raw = await best_effort(self.health, lambda: self.redis.get(key), None, quiet=True)
        user = None if raw is None else user_from_json(raw)
        if raw is not None and user is None:  # so that the copy read from Postgres can take its place
            await best_effort(self.health, lambda: self.redis.delete(key), None, quiet=True)
        return user

    async def put(self, user: User, *, replace: bool) -> None:
        record = json.dumps({name: getattr(user, name) for name in FIELDS})
        key = Keys.user_record(user.telegram_id)
        await self._pay()

        async def store() -> bool:
            await self.redis.set(key, record, ex=self.ttl_seconds, nx=not replace)
            return True

        if (
            not await best_effort(self.health, store, False, quiet=True)
            and replace
            and len(self.owed) < MAX_OWED
        ):
            self.owed.add(key)

    async def _pay(self) -> None:
        """Delete the copies whose replacement Redis missed (a later reader fills them from Postgres)."""
        if not self.owed or not self.health.may_try():
            return
        keys = list(self.owed)

        async def delete() -> bool:
            async with self.redis.pipeline(transaction=False) as pipe:  # one slot per key (Cluster)
                for key in keys:
                    pipe.delete(key)
                await pipe.execute()
            return True

        if await best_effort(self.health, delete, False, quiet=True):
            self.owed.difference_update(keys)


def user_from_json(raw: str | bytes) -> User | None:
    """A stored user, or None when the entry is not one (an older format, a damaged value)."""
    try:
        data = json.loads(raw)
        optional = {
            name: None if data[name] is None else str(data[name]) for name in ("username", "start_payload")
        }
        if not isinstance(data["blocked_bot"], bool):
            return None
        return User(
            id=int(data["id"]),
            telegram_id=int(data["telegram_id"]),
            first_name=str(data["first_name"]),
            language=str(data["language"]),
            blocked_bot=data["blocked_bot"],
            **optional,
        )
    except (ValueError, KeyError, TypeError):
        return None
