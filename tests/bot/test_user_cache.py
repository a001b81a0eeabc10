"""Knowing who sends an update costs nothing for a known user: no Postgres, no write. What changes a
user (a new name, /language, having blocked the bot) is still stored and seen at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from core.config import Settings
from sim.telegram import BotApiStandIn
from tests.bot.conftest import Stack, start_stack
from tests.bot.test_relay import delivered_probe, locked_alert


@contextmanager
def connections_taken(engine: AsyncEngine) -> Iterator[list[int]]:
    """How many times a connection is taken from the pool: every Postgres transaction takes one."""
    taken: list[int] = []

    def count(*_: Any) -> None:
        taken.append(1)

    event.listen(engine.sync_engine, "checkout", count)
    try:
        yield taken
    finally:
        event.remove(engine.sync_engine, "checkout", count)


async def test_a_known_user_is_answered_without_touching_postgres(
    fresh_state: None, standin: BotApiStandIn, bot_settings: Settings
) -> None:
    async with start_stack(standin, bot_settings, ("bot",)) as stack:
        ann = stack.user(1001, "Ann")
        await stack.ask(ann, "/start")
        with connections_taken(stack.core.engine) as taken:
            for _ in range(3):
                answer = await stack.ask(ann, "/help")
        assert "/status" in answer.text
        assert taken == []


async def test_a_new_name_is_stored_when_the_user_next_writes(stack: Stack) -> None:
    await stack.ask(stack.standin.user(1001, "Ann", "en", "ann"), "/help")
    await stack.ask(stack.standin.user(1001, "Annie", "en", "annie_fx"), "/help")

    assert [tuple(r) for r in await stack.rows("SELECT first_name, username FROM users")] == [
        ("Annie", "annie_fx")
    ]


async def test_a_user_who_blocked_the_bot_and_writes_again_is_reachable_again(stack: Stack) -> None:
    ann = stack.user(1001)
    await stack.ask(ann, "/start")
    stack.standin.block(1001)
    await stack.add_alerts([locked_alert("blocked:1", 1001)])
    await stack.eventually("SELECT blocked_bot FROM users WHERE telegram_id = 1001", [(True,)])
    await delivered_probe(stack, "probe:1")

    stack.standin.unblock(1001)
    await stack.ask(ann, "/help")

    assert await stack.scalar("SELECT blocked_bot FROM users WHERE telegram_id = 1001") is False


async def test_a_language_change_is_seen_by_the_next_command(stack: Stack) -> None:
    ann = stack.user(1001, lang="en")
    await stack.ask(ann, "/help")
    await stack.ask(ann, "/language es")

    answer = await stack.ask(ann, "/help")

    assert answer.text == (await stack.ask(stack.user(1002, lang="es"), "/help")).text
