"""/metrics tells an operator how the bot keeps up: time per command, the user cache, Telegram's budget
by priority and the updates in hand."""

from __future__ import annotations

import asyncio

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.bot.conftest import Stack
from tests.bot.test_budget import LIQUIDATED_CHAT, liquidated


async def scrape(stack: Stack) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with aiohttp.ClientSession() as session, session.get(f"{stack.http_url}/metrics") as answer:
        text = await answer.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_count_commands_cache_lookups_and_sends_by_priority(stack: Stack) -> None:
    ann = stack.user(1001)
    for text in ("/help", "/help", "/no_such_command"):
        await stack.ask(ann, text)
    mark = stack.standin.mark()
    await stack.add_alerts([liquidated("liquidated:metrics", LIQUIDATED_CHAT)])
    await stack.standin.wait_for_message(LIQUIDATED_CHAT, after=mark)

    found = await scrape(stack)

    assert found["tradeguard_bot_update_seconds_count", (("command", "help"),)] == 2
    assert found["tradeguard_bot_update_seconds_count", (("command", "other"),)] == 1
    assert found["tradeguard_user_cache_lookups_total", (("result", "miss"),)] == 1
    assert found["tradeguard_user_cache_lookups_total", (("result", "hit"),)] == 2
    assert found["tradeguard_user_writes_total", ()] == 1
    assert found["tradeguard_telegram_sends_total", (("priority", "reply"),)] >= 3
    assert found["tradeguard_telegram_sends_total", (("priority", "urgent"),)] == 1
    assert found["tradeguard_telegram_waiting", (("priority", "bulk"),)] == 0
    assert found["tradeguard_telegram_retry_after_total", ()] == 0
    assert ("tradeguard_bot_updates", (("stage", "fetched"),)) in found


def bucket(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, le: str) -> float:
    return found[name, (("command", "help"), ("le", le))]


async def test_reply_handed_time_leaves_out_the_wait_for_telegrams_budget(stack: Stack) -> None:
    """60 people ask at once: Telegram's ~30 messages a second spread the replies over about two seconds,
    so the handler time (reply sent) counts that wait; the time until each reply reached the sender
    does not (every one is handed over well within the first second)."""
    users = [stack.user(2000 + n) for n in range(60)]
    await asyncio.gather(*(stack.ask(user, "/help") for user in users))

    found = await scrape(stack)

    handed, done = "tradeguard_bot_reply_handed_seconds_bucket", "tradeguard_bot_update_seconds_bucket"
    assert found["tradeguard_bot_reply_handed_seconds_count", (("command", "help"),)] == 60
    assert bucket(found, handed, "1.0") == 60
    assert bucket(found, done, "1.0") < 50  # the last replies waited their turn in the budget
    assert bucket(found, done, "+Inf") == 60
