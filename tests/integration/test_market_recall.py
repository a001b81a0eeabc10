"""The market memory's recall (db.hot_market): a snapshot whose quotes this process has just judged
makes no round trip to the memory, and a newer quote always does."""

from __future__ import annotations

from bot.app import Core
from tests.integration.test_duplicate_quotes import MEMORY, at, device_of, remembered


async def test_quotes_already_judged_skip_the_memory_and_a_newer_quote_reaches_it(core: Core) -> None:
    device = await device_of(core)
    core.bridge.ports.market_memory.recall_seconds = 60  # type: ignore[attr-defined]  # a slow machine
    await core.bridge.accept_snapshot(device, at(1, 0, "1.08400", "1.08410"))
    await core.bridge.accept_snapshot(device, at(2, 2, "1.08402", "1.08412"))
    await core.redis.delete(MEMORY)  # any read or write of the memory from now on would show

    same = await core.bridge.accept_snapshot(device, at(3, 2, "1.08402", "1.08412"))  # the tick judged

    assert not same.duplicate and same.commands == []
    assert await core.redis.get(MEMORY) is None
    await core.bridge.accept_snapshot(device, at(4, 3, "1.08403", "1.08413"))
    assert (await remembered(core))["state"]["last_bid"] == "1.08403"
