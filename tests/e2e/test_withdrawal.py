"""Taking money out is not losing it: the peak moves with the withdrawal."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sim.telegram import BotApiStandIn
from tests.e2e.harness import ADMIN_ID, Database, Launch, converse, eventually, link, simulate_ea

pytestmark = pytest.mark.e2e

LOGIN = 6023456
SERVER = "E2E-Live"


async def test_a_30_percent_withdrawal_moves_the_peak_and_warns_nobody(
    standin: BotApiStandIn, launch: Launch, db: Database
) -> None:
    service = await launch()
    boris = standin.user(1002, "Boris", "en")
    await converse(boris, "/start")
    creds = await link(boris, LOGIN, SERVER)
    mark = standin.mark()

    run = await simulate_ea(service, creds, "withdrawal", interval=0.3)

    assert run.returncode == 0, run.output
    assert len(run.lines("withdrawal -3,000.00 USD")) == 1, run.output
    await boris.wait_for_message(lambda m: "is connected" in m.text, timeout=20, after=mark)
    await eventually(lambda: _all_delivered(db), what="every alert delivered")
    alerts = [row["kind"] for row in await db.outbox(boris.chat_id)]
    assert alerts == ["account_connected"]
    assert await db.commands(LOGIN) == []
    assert not run.lines("close_all"), run.output
    guard = await db.guard(LOGIN)
    assert guard is not None
    assert guard["status"] == "normal" and guard["warned_levels"] == []
    # the peak was ~10,005 before 3,000 left: it is now ~7,005, so the account is not 30% down
    assert Decimal(guard["peak_equity"]) == Decimal(guard["last_equity"]) == Decimal("7005.00")
    status = await converse(boris, "/status", expect=lambda m: "Equity" in m.text)
    assert "Drawdown from peak: 0.00% of 20.00%" in status.text, status.text
    assert await db.outbox(ADMIN_ID) == []


async def _all_delivered(db: Database) -> bool:
    return await db.undelivered() == 0
