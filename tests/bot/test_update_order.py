"""Updates of different chats run side by side; one chat's run one after another, in order."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update

from bot.updates import PerChatUpdateProcessor
from sim.telegram import SentMessage
from tests.bot.conftest import Stack

LANGS = ("es", "ru", "en")


def update_in(chat_id: int, update_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    return Update(update_id, message=Message(update_id, None, chat))  # type: ignore[arg-type]


async def test_a_slow_update_holds_up_its_own_chat_and_no_other() -> None:
    processor = PerChatUpdateProcessor(concurrency=8)
    release_first = asyncio.Event()
    finished: list[str] = []

    async def handle(name: str, wait: asyncio.Event | None = None) -> None:
        if wait is not None:
            await wait.wait()
        finished.append(name)

    tasks = [
        asyncio.create_task(processor.process_update(update_in(1, 1), handle("ann 1", release_first))),
        asyncio.create_task(processor.process_update(update_in(1, 2), handle("ann 2"))),
        asyncio.create_task(processor.process_update(update_in(2, 3), handle("bob 1"))),
    ]
    await asyncio.wait_for(asyncio.shield(tasks[2]), 5)
    assert finished == ["bob 1"]  # Bob is answered while Ann's first update is still in hand
    assert processor.in_hand == 2

    release_first.set()
    await asyncio.gather(*tasks)
    assert finished == ["bob 1", "ann 1", "ann 2"]
    assert processor.in_hand == 0


async def test_no_more_than_the_concurrency_run_at_once() -> None:
    processor = PerChatUpdateProcessor(concurrency=3)
    release = asyncio.Event()
    peak = 0

    async def handle() -> None:
        nonlocal peak
        peak = max(peak, processor.running)
        await release.wait()

    tasks = [asyncio.create_task(processor.process_update(update_in(c, c), handle())) for c in range(10)]
    for _ in range(50):  # every task gets to run as far as it can
        await asyncio.sleep(0)
    assert processor.running == 3
    release.set()
    await asyncio.gather(*tasks)
    assert peak == 3


async def test_a_chat_typing_fast_gets_its_answers_in_the_order_it_asked(stack: Stack) -> None:
    ann = stack.user(1001, lang="en")
    others = [stack.user(2000 + i, lang="en") for i in range(5)]
    mark = stack.standin.mark()
    for text in ("/language es", "/help", "/language ru", "/help", "/language en", "/help"):
        await ann.send(text)
        for other in others:
            await other.send("/help")

    replies: list[SentMessage] = []
    for _ in range(6):
        seen = {id(m) for m in replies}
        fresh = lambda m, seen=seen: id(m) not in seen  # noqa: E731
        replies.append(await stack.standin.wait_for_message(1001, fresh, after=mark))

    helps = [(await stack.ask(stack.user(3000 + i, lang=lang), "/help")).text for i, lang in enumerate(LANGS)]
    assert [m.text for m in replies[1::2]] == helps
