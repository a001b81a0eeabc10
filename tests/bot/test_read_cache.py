"""A trader's /status of an account whose EA reports reads no Postgres (their list of links was cached
when they linked); with CACHE_TTL_SECONDS=0 it reads Postgres every time; linking again shows at once;
/metrics counts the read cache's hits and misses."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from core.domain.models import User
from db.uow import unit_of_work_factory
from sim.telegram import BotApiStandIn
from tests.bot.conftest import LOGIN, SERVER, Stack, settings_for, start_stack
from tests.bot.test_metrics import scrape
from tests.conftest import clean_state

# Only the bot and the API: no monitor or relay polling Postgres while statements are counted.
PARTS = ("bot", "api")


@contextlib.asynccontextmanager
async def bot_and_api(tmp_path: Path, standin: BotApiStandIn, **overrides: Any) -> AsyncIterator[Stack]:
    await clean_state()
    settings = settings_for(tmp_path, standin).model_copy(update={"peak_flush_seconds": 60, **overrides})
    async with start_stack(standin, settings, PARTS) as stack:
        yield stack


@contextlib.contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every SQL statement the service's engine runs inside the block."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def hot_account(stack: Stack) -> int:
    """Ann linked and her EA reported twice: her account's hot state is current."""
    creds = await stack.link(stack.user(1001))
    for seq in (1, 2):
        await stack.send_snapshot(creds, seq)
    account_id = int(await stack.scalar("SELECT id FROM accounts"))
    assert await stack.core.bot_services.queries.hot_state(account_id) is not None
    return account_id


async def test_a_status_of_a_hot_account_reads_no_postgres(tmp_path: Path, standin: BotApiStandIn) -> None:
    async with bot_and_api(tmp_path, standin) as stack:
        await hot_account(stack)
        ann = stack.user(1001)

        with statements(stack.core.engine) as first:
            await stack.ask(ann, "/status")
        with statements(stack.core.engine) as second:
            again = await stack.ask(ann, "/status")

    assert first == [], "the list of links was stored when Ann linked"
    assert second == []
    assert str(LOGIN) in again.text and SERVER in again.text


async def test_with_the_cache_off_every_status_reads_postgres(tmp_path: Path, standin: BotApiStandIn) -> None:
    async with bot_and_api(tmp_path, standin, cache_ttl_seconds=0) as stack:
        await hot_account(stack)
        ann = stack.user(1001)
        await stack.ask(ann, "/status")

        with statements(stack.core.engine) as second:
            again = await stack.ask(ann, "/status")

    assert any("FROM accounts" in sql for sql in second)
    assert str(LOGIN) in again.text


async def test_a_new_link_shows_at_once_in_a_cached_list(tmp_path: Path, standin: BotApiStandIn) -> None:
    async with bot_and_api(tmp_path, standin, cache_ttl_seconds=600) as stack:
        ann = stack.user(1001)
        await stack.link(ann)
        before = await stack.ask(ann, "/accounts")
        await stack.link(ann, 6023456, "Other-Demo")

        after = await stack.ask(ann, "/accounts")

    assert "6023456" not in before.text
    assert str(LOGIN) in after.text and "6023456" in after.text


async def test_a_link_shared_by_a_second_user_shows_in_the_first_users_cached_list(
    tmp_path: Path, standin: BotApiStandIn
) -> None:
    async with bot_and_api(tmp_path, standin, cache_ttl_seconds=600) as stack:
        await stack.link(stack.user(1001))
        ann = await user(stack, 1001)
        queries = stack.core.bot_services.queries
        before = await queries.accounts_of(ann)
        await stack.link(stack.user(1002, "Bob"))

        after = await queries.accounts_of(ann)

    assert [link.shared for link in before] == [False]
    assert [link.shared for link in after] == [True]


async def user(stack: Stack, telegram_id: int) -> User:
    async with unit_of_work_factory(stack.core.engine)() as uow:
        found = await uow.users.by_telegram_id(telegram_id)
    assert found is not None
    return found


async def test_metrics_count_read_cache_misses_then_hits(tmp_path: Path, standin: BotApiStandIn) -> None:
    async with bot_and_api(tmp_path, standin) as stack:
        account_id = await hot_account(stack)
        ann = stack.user(1001)
        assert stack.core.bot_services.queries.hot is not None
        await stack.core.bot_services.queries.hot.refresh({account_id})  # waits for a refresh: no hot view

        await stack.ask(ann, "/status")
        missed = await scrape(stack)
        await stack.ask(ann, "/status")
        hit = await scrape(stack)

    def count(found: dict[Any, float], kind: str, result: str) -> float:
        return found["tradeguard_read_cache_lookups_total", (("kind", kind), ("result", result))]

    # the list's one miss is the link storing it; each /status finds it
    assert [count(missed, kind, result) for kind in ("accounts", "view") for result in ("miss", "hit")] == [
        1,
        1,
        1,
        0,
    ]
    assert [count(hit, kind, result) for kind in ("accounts", "view") for result in ("miss", "hit")] == [
        1,
        2,
        1,
        1,
    ]
