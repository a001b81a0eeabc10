"""A terminal that lists one balance deal twice in a snapshot: the deal still counts once, through
`tradeguard run` and `tradeguard simulate-ea` (issue 6 item 3)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sim.telegram import BotApiStandIn
from tests.e2e.harness import Database, Launch, converse, eventually, link, simulate_ea

pytestmark = pytest.mark.e2e

SERVER = "E2E-Live"


async def test_a_deposit_listed_twice_in_one_snapshot_does_not_liquidate_a_healthy_account(
    standin: BotApiStandIn, launch: Launch, db: Database
) -> None:
    service = await launch()
    cleo = standin.user(1003, "Cleo", "en")
    await converse(cleo, "/start")
    creds = await link(cleo, 6034567, SERVER)

    run = await simulate_ea(service, creds, "deposit_listed_twice", interval=0.3)

    assert run.returncode == 0, run.output
    assert len(run.lines("deposit 5,000.00 USD")) == 1, run.output
    await eventually(lambda: _no_undelivered(db), what="every alert delivered")
    assert not run.lines("close_all"), run.output
    assert await db.commands(creds.login) == []
    guard = await db.guard(creds.login)
    assert guard is not None and guard["status"] == "normal", guard
    # 10,005 before the one deposit, 15,005 after it: the peak moved by 5,000, not by 10,000
    assert Decimal(guard["peak_equity"]) == Decimal(guard["last_equity"]) == Decimal("15005.00")
    assert [row["kind"] for row in await db.outbox(cleo.chat_id)] == ["account_connected"]


async def test_a_withdrawal_listed_twice_in_one_snapshot_does_not_hide_a_real_breach(
    standin: BotApiStandIn, launch: Launch, db: Database
) -> None:
    service = await launch(LIQUIDATION_GRACE_SECONDS=0)
    dan = standin.user(1004, "Dan", "en")
    await converse(dan, "/start")
    creds = await link(dan, 6045678, SERVER)
    mark = standin.mark()

    run = await simulate_ea(service, creds, "withdrawal_listed_twice", interval=0.3)

    assert run.returncode == 0, run.output
    assert len(run.lines("withdrawal -3,000.00 USD")) == 1, run.output
    assert len(run.lines("close_all (max_drawdown) → closed 1 position(s), ack done")) == 1, run.output
    await dan.wait_for_message(lambda m: "has been closed out" in m.text, timeout=30, after=mark)
    guard = await db.guard(creds.login)
    assert guard is not None and guard["breach_reason"] == "max_drawdown", guard
    assert len(await db.commands(creds.login, "close_all")) == 1


async def _no_undelivered(db: Database) -> bool:
    return await db.undelivered() == 0
