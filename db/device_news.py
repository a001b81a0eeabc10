"""News of changed devices between processes (core.services.credentials): after a re-link or a
revocation commits, the account id goes out on a Redis channel; every process's listener drops that
account's cached credentials. The channel rings a bell, Postgres is the record: while it is down the
cache falls back to short-lived entries."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.asyncio import Redis

from core.services.credentials import CredentialCache
from core.services.health import Health
from db.redis_store import PREFIX

log = logging.getLogger(__name__)
DEVICE_CHANNEL = f"{PREFIX}:devices"


async def publish_device_news(redis: Redis, account_ids: set[int]) -> None:
    for account_id in sorted(account_ids):
        await redis.publish(DEVICE_CHANNEL, str(account_id))


async def listen_for_device_news(
    redis: Redis, cache: CredentialCache, health: Health, stop: asyncio.Event
) -> None:
    """Until `stop`: subscribe, drop what the news names; on a failure mark the channel down (the cache
    falls back to its TTL), back off (logged once per outage) and subscribe again."""
    while not stop.is_set():
        pubsub = redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(DEVICE_CHANNEL)
            cache.channel_up()
            health.succeeded()
            while not stop.is_set():
                message = await pubsub.get_message(timeout=0.5)
                if message is not None and message.get("type") == "message":
                    cache.forget_accounts({int(message["data"])})
        except Exception as error:
            cache.channel_down()
            wait = health.failed(error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)
        finally:
            cache.channel_down()
            with contextlib.suppress(Exception):
                await pubsub.aclose()
