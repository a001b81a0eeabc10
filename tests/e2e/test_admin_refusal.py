"""Only an admin can close out an account; anyone else is told no, and the attempt is on record."""

from __future__ import annotations

import pytest

from sim.telegram import BotApiStandIn
from tests.audit_sql import ACTOR
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
    audit = await db.rows(
        f"SELECT {ACTOR} AS actor, action, details FROM audit_log WHERE action = 'admin.refused'"
    )
    assert audit == [
        {"actor": f"user:{TRADER_ID}", "action": "admin.refused", "details": {"command": "liquidate"}}
    ]


async def test_admin_commands_with_punctuation_show_a_non_admin_nothing_and_are_audited(
    standin: BotApiStandIn, launch: Launch, db: Database
) -> None:
    """`/accounts_all,` used to list every trader's account to anyone: the gate parsed the text its own
    way, and the admin use cases never asked who was calling."""
    service = await launch()
    ann = standin.user(TRADER_ID, "Ann", "en")
    mallory = standin.user(1666, "Mallory", "en")
    await converse(ann, "/start")
    creds = await link(ann, LOGIN, SERVER)
    run = await simulate_ea(service, creds, "steady", interval=0.2, steps=1)
    assert run.returncode == 0, run.output

    listing = await converse(mallory, "/accounts_all,")
    detail = await converse(mallory, f"/account, {LOGIN}")
    liquidate = await converse(mallory, f"/liquidate; {LOGIN}")

    for answer in (listing, detail, liquidate):
        assert "admins only" in answer.text
        assert str(LOGIN) not in answer.text and SERVER not in answer.text
    audit = await db.rows(
        f"SELECT {ACTOR} AS actor, details FROM audit_log WHERE action = 'admin.refused' ORDER BY id"
    )
    assert audit == [
        {"actor": "user:1666", "details": {"command": "accounts_all"}},
        {"actor": "user:1666", "details": {"command": "account"}},
        {"actor": "user:1666", "details": {"command": "liquidate"}},
    ]
    assert await db.commands(LOGIN) == []
