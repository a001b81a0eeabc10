"""One Telegram budget, shared by priority: a burst of readers never delays a liquidation alert, and
Telegram's limits are kept (the stand-in answers 429 past them)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from core.config import Settings
from core.domain.alerts import Liquidated
from core.domain.models import Alert
from sim.telegram import BotApiStandIn, SentMessage
from tests.bot.conftest import SERVER, TOKEN, Stack, settings_for, start_stack

READERS = 300
LIQUIDATED_CHAT = 777
SECOND_OF_BUDGET = 30  # Telegram's sends in one second: the alert may wait behind this many replies


def liquidated(key: str, chat_id: int) -> Alert:
    body = Liquidated(login=5012345, server=SERVER, currency="USD", closed=(), realised=Decimal("-120.00"))
    return Alert(key, chat_id, body)


async def replies_waiting_at_least(stack: Stack, count: int) -> None:
    """Until `count` replies wait for Telegram's budget (checked after each send the stand-in sees)."""
    budget = stack.running.application.bot.rate_limiter
    enough = asyncio.Event()
    unsubscribe = stack.standin.on_message(
        lambda _: enough.set() if budget.depth()["reply"] >= count else None  # type: ignore[union-attr]
    )
    try:
        await asyncio.wait_for(enough.wait(), 30)
    finally:
        unsubscribe()


async def test_a_liquidation_alert_overtakes_a_burst_of_replies_and_no_send_is_refused(stack: Stack) -> None:
    readers = [stack.user(10_000 + n) for n in range(READERS)]
    for reader in readers:
        await reader.send("/help")
    await replies_waiting_at_least(stack, 60)  # of the 100 updates the bot holds at most

    mark = stack.standin.mark()
    await stack.add_alerts([liquidated("liquidated:1", LIQUIDATED_CHAT)])
    alert = await stack.standin.wait_for_message(LIQUIDATED_CHAT, after=mark, timeout=30)
    everyone = [await stack.standin.wait_for_message(r.chat_id, timeout=60) for r in readers]

    sent = stack.standin.sent[mark:]
    before = sent.index(alert)
    assert before < SECOND_OF_BUDGET, f"{before} replies went out before the liquidation alert"
    assert len(sent) - before > 100  # the rest of the burst waited behind it
    assert len(everyone) == READERS
    assert stack.standin.rate_limited_count == 0


async def test_when_telegram_says_wait_every_send_waits_and_none_is_lost(
    fresh_state: None, tmp_path: object
) -> None:
    async with BotApiStandIn(token=TOKEN, global_rate=10, per_chat_per_minute=None) as strict:
        settings: Settings = settings_for(tmp_path, strict)  # type: ignore[arg-type]
        async with start_stack(strict, settings) as stack:
            readers = [stack.user(20_000 + n) for n in range(40)]
            for reader in readers:
                await reader.send("/help")
            answers: list[SentMessage] = [
                await strict.wait_for_message(r.chat_id, timeout=60) for r in readers
            ]

            assert strict.rate_limited_count > 0  # Telegram refused some: the budget waited them out
            assert len(answers) == 40
            assert all(len(strict.messages_to(r.chat_id)) == 1 for r in readers)
