"""Only an admin can close out an account; anyone else is told no, and the attempt is on record."""

from __future__ import annotations

import pytest

from bot.standin import BotApiStandIn
from tests.e2e.harness import Database, Launch, converse, link, simulate_ea

pytestmark = pytest.mark.e2e

LOGIN = 5012345
SERVER = "E2E-Live"
TRADER_ID = 1001


async def test_a_non_admin_liquidate_does_nothing_and_is_audited(
    standin: BotApiStandIn, launch: Launch, db: Database
) -> None:
    service = await launch()
    ann = standin.user(TRADER_ID, "Ann", "en")
    await converse(ann, "/start")
    creds = await link(ann, LOGIN, SERVER)
    run = await simulate_ea(service, creds, "steady", interval=0.2, steps=1)
    assert run.returncode == 0, run.output  # the account has data: an admin could liquidate it

    refused = await converse(ann, f"/liquidate {LOGIN} because I say so")

    assert "admins only" in refused.text
    assert refused.buttons == []  # no confirmation to press
    assert await db.commands(LOGIN) == []
    guard = await db.guard(LOGIN)
    assert guard is not None and guard["status"] == "normal"
    audit = await db.rows("SELECT actor, action, details FROM audit_log WHERE action = 'admin.refused'")
    assert audit == [
        {"actor": f"user:{TRADER_ID}", "action": "admin.refused", "details": {"command": "liquidate"}}
    ]
