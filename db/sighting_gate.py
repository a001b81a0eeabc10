"""The hourly gate of bridge sightings (core.services.fraud_sightings): one Redis SET NX EX per
(account, address), so a busy EA costs Postgres one upsert an hour, not one per snapshot."""

from __future__ import annotations

from redis.asyncio import Redis

from core.services.fraud_sightings import GATE_SECONDS
from db.redis_store import PREFIX


def sighting_key(account_id: int, ip: str) -> str:
    return f"{PREFIX}:sighting:{account_id}:{ip}"


class RedisSightingGate:
    def __init__(self, redis: Redis, seconds: int = GATE_SECONDS) -> None:
        self.redis = redis
        self.seconds = seconds

    async def first_this_hour(self, account_id: int, ip: str) -> bool:
        return bool(await self.redis.set(sighting_key(account_id, ip), 1, nx=True, ex=self.seconds))
