"""BRIDGE.md: "Commands are evaluated against this very snapshot before the answer is written"."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Core
from core.config import Settings
from tests.api.conftest import Bridge
from tests.api.state import stored
from tests.api.wire import COMMANDS, SNAPSHOT, accepted, snapshot
from tests.conftest import make_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, liquidation_grace_seconds=0)


async def test_a_snapshot_that_breaches_a_guard_is_answered_with_the_close_command_at_once(
    bridge: Bridge, core: Core
) -> None:
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=1)))
    answer = await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=2, equity="50.00")))
    assert [command["type"] for command in answer["commands"]] == ["close_all", "lock"]  # close, then lock
    close = answer["commands"][0]
    assert close["id"].startswith("cmd_")
    assert await accepted(await bridge.call("GET", COMMANDS)) == {"commands": answer["commands"]}
    ack = {"status": "done", "results": [], "message": ""}
    await accepted(await bridge.call("POST", f"{COMMANDS}/{close['id']}/ack", ack))
    still = (await accepted(await bridge.call("GET", COMMANDS)))["commands"]
    assert close["id"] not in [command["id"] for command in still]
    assert (await stored(core)).command(close["id"]).status == "done"
