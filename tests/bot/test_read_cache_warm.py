"""Reads with no Postgres, even the first: a process that has just started answers /status of a user who
linked earlier from Redis alone (their record and their list of links are written there by the writes
that change them), and what one process writes (a language, a new link) the other shows on its next read.
Redis flushed or holding a bad entry: the answers are still right, from Postgres. CACHE_TTL_SECONDS=0:
the list of links is read from Postgres."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.app import Core, open_core
from core.domain.models import LinkedAccount, User
from core.services.health import Health
from db.redis_store import Keys, RedisViewCache
from db.redis_users import RedisUserCache
from sim.telegram import BotApiStandIn
from tests.bot.conftest import LOGIN, SERVER, Stack, settings_for, start_stack
from tests.bot.test_metrics import scrape
from tests.bot.test_read_cache import PARTS, hot_account, statements, user
from tests.conftest import TEST_REDIS_URL, clean_state


@contextlib.asynccontextmanager
async def process(tmp_path: Path, standin: BotApiStandIn, **overrides: Any) -> AsyncIterator[Stack]:
    """A bot and API process on the shared database and Redis (left as the previous process left them)."""
    settings = settings_for(tmp_path, standin).model_copy(update={"peak_flush_seconds": 60, **overrides})
    async with start_stack(standin, settings, PARTS) as stack:
        yield stack


@contextlib.asynccontextmanager
async def other_process(stack: Stack) -> AsyncIterator[Core]:
    """A second process's services (its own caches) on the same database and Redis."""
    async with open_core(stack.settings) as core:
        yield core


async def ann_linked_earlier(tmp_path: Path, standin: BotApiStandIn, **overrides: Any) -> int:
    """Ann linked and her EA reported, in a process that has stopped since."""
    await clean_state()
    async with process(tmp_path, standin, **overrides) as first:
        return await hot_account(first)


async def test_a_fresh_process_answers_status_of_a_user_linked_earlier_with_no_postgres(
    tmp_path: Path, standin: BotApiStandIn
) -> None:
    account_id = await ann_linked_earlier(tmp_path, standin)
    async with process(tmp_path, standin) as fresh:
        assert await fresh.core.bot_services.queries.hot_state(account_id) is not None
        ann = fresh.user(1001)

        with statements(fresh.core.engine) as seen:
            answer = await fresh.ask(ann, "/status")
            positions = await fresh.ask(ann, "/positions")
        found = await scrape(fresh)

    assert seen == []
    assert positions.text and positions.text != answer.text
    assert str(LOGIN) in answer.text and SERVER in answer.text
    assert found["tradeguard_user_cache_lookups_total", (("result", "redis_hit"),)] == 1
    assert found["tradeguard_user_cache_lookups_total", (("result", "miss"),)] == 0
    assert found["tradeguard_read_cache_lookups_total", (("kind", "accounts"), ("result", "hit"))] == 2


async def test_with_the_cache_off_a_fresh_process_reads_the_list_from_postgres(
    tmp_path: Path, standin: BotApiStandIn
) -> None:
    await ann_linked_earlier(tmp_path, standin, cache_ttl_seconds=0)
    async with process(tmp_path, standin, cache_ttl_seconds=0) as fresh:
        ann = fresh.user(1001)
        await fresh.ask(ann, "/status")

        with statements(fresh.core.engine) as seen:
            answer = await fresh.ask(ann, "/status")

    assert any("FROM accounts" in sql for sql in seen)
    assert str(LOGIN) in answer.text


async def test_a_language_set_in_one_process_is_seen_by_the_other_on_its_next_read(
    tmp_path: Path, standin: BotApiStandIn
) -> None:
    await ann_linked_earlier(tmp_path, standin)
    # this process keeps no copy of its own: its next read is the one that meets the change
    async with process(tmp_path, standin, user_cache_seconds=0) as bot:
        ann = bot.user(1001)
        before = await bot.ask(ann, "/help")
        async with other_process(bot) as other:
            await other.bot_services.users.set_language(await user(bot, 1001), "es")

        with statements(bot.core.engine) as seen:
            after = await bot.ask(ann, "/help")
        spanish = await bot.ask(bot.user(1002, "Bob", "es"), "/help")

    assert before.text != spanish.text
    assert after.text == spanish.text
    assert seen == [], "the new language came from Redis, written there after the commit"


async def test_a_link_made_in_another_process_shows_at_once(tmp_path: Path, standin: BotApiStandIn) -> None:
    await ann_linked_earlier(tmp_path, standin)
    async with process(tmp_path, standin) as bot:
        ann = bot.user(1001)
        before = await bot.ask(ann, "/accounts")
        async with other_process(bot) as other:
            await other.bot_services.links.link(await user(bot, 1001), 6023456, "Other-Demo")

        after = await bot.ask(ann, "/accounts")

    assert "6023456" not in before.text
    assert str(LOGIN) in after.text and "6023456" in after.text


@pytest.mark.parametrize("damage", ["flush", "bad entry"])
async def test_with_redis_flushed_or_damaged_reads_are_still_right_from_postgres(
    tmp_path: Path, standin: BotApiStandIn, damage: str
) -> None:
    await ann_linked_earlier(tmp_path, standin)
    async with process(tmp_path, standin, user_cache_seconds=0) as bot:
        ann = bot.user(1001)
        await bot.ask(ann, "/language es")
        redis = Redis.from_url(TEST_REDIS_URL)
        if damage == "flush":
            await redis.flushdb()
        else:
            await redis.set(Keys.user_record(1001), '{"id": "not a user"')

        with statements(bot.core.engine) as seen:
            status = await bot.ask(ann, "/status")
        refilled = await redis.get(Keys.user_record(1001))
        await redis.aclose()
        help_ = await bot.ask(ann, "/help")
        spanish = await bot.ask(bot.user(1002, "Bob", "es"), "/help")

    assert any("FROM users" in sql for sql in seen)
    assert str(LOGIN) in status.text and SERVER in status.text
    assert help_.text == spanish.text, "Ann's language is Postgres's, not lost with Redis"
    assert refilled is not None and b'"language": "es"' in refilled


async def test_with_redis_down_the_user_copy_is_a_miss_and_the_outage_is_noted_once() -> None:
    redis = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    shared = RedisUserCache(redis, 60)
    ann = User(id=1, telegram_id=1001, first_name="Ann", language="en")

    await shared.put(ann, replace=True)
    found = await shared.get(1001)
    await redis.aclose()

    assert found is None
    assert shared.health.failures == 1, "the second call waits out the back-off instead of trying again"


async def test_a_user_write_redis_missed_drops_the_stale_copy_once_redis_answers() -> None:
    await clean_state()
    live, dead = Redis.from_url(TEST_REDIS_URL), Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    shared = RedisUserCache(live, 60, Health("test", base=0))
    ann = User(id=1, telegram_id=1001, first_name="Ann", language="en")
    await shared.put(ann, replace=True)

    shared.redis = dead  # Redis is down while Ann's /language es commits
    await shared.put(replace(ann, language="es"), replace=True)
    shared.redis = live
    found = await shared.get(1001)
    await live.aclose()
    await dead.aclose()

    assert found is None, "not the stale English copy: Postgres answers and fills it anew"


async def test_a_list_change_redis_missed_is_seen_once_redis_answers() -> None:
    await clean_state()
    live, dead = Redis.from_url(TEST_REDIS_URL), Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    cache = RedisViewCache(live, health=Health("test", base=0))
    first = LinkedAccount(1, 7, 5012345, "Demo", datetime(2026, 1, 1, tzinfo=UTC))
    second = replace(first, id=2, login=6023456)

    async def load(*accounts: LinkedAccount) -> list[LinkedAccount]:
        return list(accounts)

    await cache.user_accounts(7, 3600, lambda: load(first))
    cache.redis = dead  # Redis is down while the second link commits
    await cache.invalidate_user(7)
    cache.redis = live
    after = await cache.user_accounts(7, 3600, lambda: load(first, second))
    await live.aclose()
    await dead.aclose()

    assert [account.login for account in after] == [5012345, 6023456]
