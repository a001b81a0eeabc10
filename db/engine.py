"""Engine and client construction; the composition root owns their lifetimes."""

from __future__ import annotations

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def make_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)


def make_redis(url: str) -> Redis:
    return Redis.from_url(url, decode_responses=True, socket_timeout=5, socket_connect_timeout=5)


async def ping_postgres(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def ping_redis(redis: Redis) -> None:
    await redis.ping()
