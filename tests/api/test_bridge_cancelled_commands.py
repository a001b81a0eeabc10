"""A cancelled command (an admin unlock stopped the liquidation) is in no answer, and its ack is a no-op."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Core
from core.config import Settings
from core.domain.account_key import AccountKey
from tests.api.conftest import Bridge
from tests.api.state import stored
from tests.api.wire import COMMANDS, SNAPSHOT, accepted, snapshot
from tests.conftest import make_settings

ADMIN = 900001  # make_settings' admin


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, liquidation_grace_seconds=0)


async def test_an_unlock_withdraws_the_close_all_from_every_answer_and_its_ack_changes_nothing(
    bridge: Bridge, core: Core
) -> None:
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=1)))
    breach = await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=2, equity="50.00")))
    close_all, lock = breach["commands"]
    admin = await core.bot_services.users.resolve(ADMIN, "Olga", None, "en")

    await core.bot_services.admin.act(admin, AccountKey(bridge.device.login), "unlock")

    answer = await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=3, equity="50.00")))
    listed = await accepted(await bridge.call("GET", COMMANDS))
    assert [c["type"] for c in answer["commands"]] == ["unlock"]
    assert listed == {"commands": answer["commands"]}
    before = await stored(core)
    assert {c.id: c.status for c in before.commands if c.id in (close_all["id"], lock["id"])} == {
        close_all["id"]: "cancelled",
        lock["id"]: "cancelled",
    }
    ack = {"status": "done", "results": [], "message": ""}
    await accepted(await bridge.call("POST", f"{COMMANDS}/{close_all['id']}/ack", ack))
    assert await stored(core) == before
