"""A duplicate snapshot (BRIDGE.md: acknowledged and ignored) feeds nothing into the market guards'
memory: a client's resend carrying far-off quotes raises no gap, closes nothing, and the next genuine
snapshot is judged against the genuine previous quote. On the steady path and on the durable one."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from bot.app import Core
from core.api.schemas import SnapshotIn, to_snapshot, validate
from core.domain.models import Device
from core.domain.snapshot import Snapshot
from db.hot_market import symbol_key
from db.hot_state import hold_key
from tests.api.conftest import link_device
from tests.api.helpers import snapshot_body

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday morning: the market is open
MEMORY = symbol_key("Broker-Live", "EURUSD")


def at(seq: int, seconds: int, bid: str, ask: str) -> Snapshot:
    """A snapshot holding one EURUSD buy, with the EURUSD quote given, `seconds` after START."""
    stamp = (START + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")
    body = snapshot_body(seq=seq)
    body["time"] = stamp
    body["deals"] = []
    body["quotes"] = [{"symbol": "EURUSD", "bid": bid, "ask": ask, "time": stamp}]
    return to_snapshot(validate(SnapshotIn, body))


async def device_of(core: Core) -> Device:
    found = await core.credentials.get((await link_device(core)).device_id)
    assert found is not None
    return found.device


async def market_alerts(core: Core) -> list[str]:
    async with core.engine.connect() as connection:
        rows = await connection.execute(text("SELECT dedupe_key FROM outbox WHERE kind LIKE 'market_%'"))
        return [row.dedupe_key for row in rows]


async def commands(core: Core) -> list[Any]:
    async with core.engine.connect() as connection:
        return list((await connection.execute(text("SELECT type, body FROM commands"))).all())


async def remembered(core: Core) -> dict[str, Any]:
    raw = await core.redis.get(MEMORY)
    assert raw is not None
    stored: dict[str, Any] = json.loads(raw)
    return stored


@pytest.mark.parametrize("path", ["steady", "durable"])
async def test_a_resent_snapshot_with_far_off_quotes_changes_no_market_memory_and_raises_no_gap(
    core: Core, path: str
) -> None:
    device = await device_of(core)
    await core.bridge.accept_snapshot(device, at(1, 0, "1.08400", "1.08410"))  # first: durable
    await core.bridge.accept_snapshot(device, at(2, 2, "1.08402", "1.08412"))
    before = await core.redis.get(MEMORY)
    if path == "durable":  # a durable writer holds the account: the resend queues on the row lock
        await core.redis.set(hold_key(device.account_id), "1", px=5000)

    # the resend of seq 2 carries quotes 20 % away, newer than any the memory holds
    resend = await core.bridge.accept_snapshot(device, at(2, 3, "1.30000", "1.30010"))

    assert resend.duplicate and resend.seq == 2 and resend.commands == []
    assert await core.redis.get(MEMORY) == before
    await core.redis.delete(hold_key(device.account_id))
    genuine = await core.bridge.accept_snapshot(device, at(3, 4, "1.08404", "1.08414"))
    assert not genuine.duplicate and genuine.commands == []
    memory = await remembered(core)
    assert memory["state"]["last_bid"] == "1.08404"
    assert memory["state"]["gaps"]["count"] == 0 and memory["recent"] == []
    assert await market_alerts(core) == []
    assert await commands(core) == []


async def test_a_genuine_gap_after_a_resend_is_measured_from_the_genuine_previous_quote(core: Core) -> None:
    device = await device_of(core)
    await core.bridge.accept_snapshot(device, at(1, 0, "1.08400", "1.08410"))
    await core.bridge.accept_snapshot(device, at(2, 2, "1.08402", "1.08412"))
    await core.bridge.accept_snapshot(device, at(1, 3, "1.00000", "1.00010"))  # an older seq, resent

    crash = await core.bridge.accept_snapshot(device, at(3, 4, "1.02000", "1.02010"))

    assert [(c["type"], c["reason"]) for c in crash.commands] == [("close_position", "market_gap")]
    memory = await remembered(core)
    [gap] = memory["recent"]
    assert (gap["kind"], gap["previous_bid"], gap["bid"]) == ("gap", "1.08402", "1.02000")
    assert await market_alerts(core) == [f"market:{device.account_id}:EURUSD:gap:1"]
