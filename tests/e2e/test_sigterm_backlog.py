"""SIGTERM with a backlog: the process stops, Telegram keeps every update it did not answer, and the
next process answers those, each once."""

from __future__ import annotations

import pytest

from sim.telegram import BotApiStandIn
from tests.e2e.harness import Launch

pytestmark = pytest.mark.e2e
READERS = 150


async def test_updates_queued_across_a_sigterm_and_a_restart_are_each_answered_once(
    standin: BotApiStandIn, launch: Launch
) -> None:
    readers = [standin.user(50_000 + n) for n in range(READERS)]
    for reader in readers:
        await reader.send("/help")

    first = await launch()
    await standin.wait_for_message(readers[0].chat_id, timeout=30)
    assert await first.terminate() == 0
    answered = {r.user_id for r in readers if standin.messages_to(r.chat_id)}
    kept = {update["message"]["from"]["id"] for update in standin.pending_updates}
    assert answered | kept == {r.user_id for r in readers} and answered & kept == set()

    second = await launch()
    for reader in readers:
        await standin.wait_for_message(reader.chat_id, timeout=60)
    assert await second.terminate() == 0
    assert [len(standin.messages_to(r.chat_id)) for r in readers] == [1] * READERS
    assert standin.pending_updates == []
