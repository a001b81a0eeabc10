"""Engine and client construction; the composition root owns their lifetimes."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def make_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)


# redis-py's default pool refuses the 101st concurrent command (MaxConnectionsError); the hot path holds
# a connection across a WATCH … MULTI, so a burst of snapshots would get 503s. A blocking pool makes a
# burst wait its turn for a connection (at most REDIS_POOL_WAIT_SECONDS) instead.
REDIS_POOL_SIZE = 256
REDIS_POOL_WAIT_SECONDS = 5


def make_redis(url: str, pool_size: int = REDIS_POOL_SIZE) -> Redis:
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=pool_size,
        timeout=REDIS_POOL_WAIT_SECONDS,
        decode_responses=True,
        socket_timeout=5,
        socket_connect_timeout=5,
    )
    return Redis.from_pool(pool)  # closing the client closes its pool


async def ping_postgres(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def ping_redis(redis: Redis) -> None:
    await redis.ping()
