"""Telegram keeps what the bot has not handled: a stop finishes what is in hand and confirms only that,
and the next start answers the rest, each update once."""

from __future__ import annotations

from pathlib import Path

from core.config import Settings
from sim.telegram import BotApiStandIn
from tests.bot.conftest import settings_for, start_stack

READERS = 150
IN_HAND = 100


def senders(updates: list[dict[str, object]]) -> set[int]:
    return {update["message"]["from"]["id"] for update in updates}  # type: ignore[index]


async def test_a_stop_leaves_what_it_did_not_answer_to_telegram_and_the_next_start_answers_it_once(
    fresh_state: None, standin: BotApiStandIn, bot_settings: Settings
) -> None:
    readers = [standin.user(30_000 + n) for n in range(READERS)]
    for reader in readers:
        await reader.send("/help")

    async with start_stack(standin, bot_settings, ("bot",)):
        await standin.wait_for_message(readers[0].chat_id)
    answered = {r.user_id for r in readers if standin.messages_to(r.chat_id)}
    kept = senders(standin.pending_updates)

    assert answered | kept == {r.user_id for r in readers}  # nothing lost
    assert answered & kept == set()  # nothing answered is fetched again
    assert len(kept) >= READERS - IN_HAND  # past the bound, the updates stayed at Telegram

    async with start_stack(standin, bot_settings, ("bot",)):
        for reader in readers:
            await standin.wait_for_message(reader.chat_id, timeout=30)
    assert [len(standin.messages_to(r.chat_id)) for r in readers] == [1] * READERS
    assert standin.pending_updates == []


async def test_updates_arriving_while_the_bot_is_busy_are_all_answered(
    fresh_state: None, standin: BotApiStandIn, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, standin).model_copy(update={"bot_updates_in_hand": 5})
    async with start_stack(standin, settings, ("bot",)):
        readers = [standin.user(40_000 + n) for n in range(40)]
        for reader in readers:
            await reader.send("/help")
            await reader.send("/help")
        for reader in readers:
            first = await standin.wait_for_message(reader.chat_id, timeout=30)
            await standin.wait_for_message(reader.chat_id, lambda m, first=first: m is not first, timeout=30)
    assert [len(standin.messages_to(r.chat_id)) for r in readers] == [2] * 40
