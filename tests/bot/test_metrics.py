"""/metrics tells an operator how the bot keeps up: time per command, the user cache, Telegram's budget
by priority and the updates in hand."""

from __future__ import annotations

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
