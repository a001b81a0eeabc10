"""A signal end to end, through `tradeguard run`: the operator posts it, the trader approves it in
Telegram, and the simulated EA gets the `open_position` (with the signal id) in its next snapshot answer,
opens it with comment `tg:<id>`, and acknowledges it; the expected trade then knows the ticket."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import pytest

from core.api.operator import issue_token, operator_key
from sim.telegram import BotApiStandIn
from tests.e2e.harness import SECRET_KEY, Database, Launch, converse, link, simulate_ea

pytestmark = pytest.mark.e2e

LOGIN = 5012345
SERVER = "E2E-Live"
SIGNAL = {"id": "sig_e2e_1", "symbol": "EURUSD", "side": "buy", "volume": "0.05", "sl": "1.07", "tp": "1.1"}


async def test_an_approved_signal_reaches_the_ea_in_its_next_snapshot_answer(
    standin: BotApiStandIn, launch: Launch, db: Database
) -> None:
    service = await launch()
    ann = standin.user(1001, "Ann", "en")
    await converse(ann, "/start")
    creds = await link(ann, LOGIN, SERVER)
    token = issue_token(operator_key(SECRET_KEY), "operator", datetime.now(UTC))

    mark = standin.mark()
    async with aiohttp.ClientSession() as session:
        response = await session.post(
            f"{service.url}/v1/signals", json=SIGNAL, headers={"Authorization": f"Bearer {token}"}
        )
        posted = await response.json()
    alert = await ann.wait_for_message(lambda m: m.text.startswith("📣 Signal sig_e2e_1"), 20, after=mark)
    approve = alert.buttons[0]["callback_data"]
    mark = standin.mark()
    await ann.press(alert, approve)
    approved = await ann.wait_for_message(lambda m: "approved" in m.text, 20, after=mark)
    run = await simulate_ea(service, creds, "steady", interval=0.3, steps=2)

    assert response.status == 201 and (posted["accounts"], posted["approve"]) == (1, 1), posted
    assert approved.text.startswith("Signal sig_e2e_1 approved")
    assert run.returncode == 0, run.output
    [opened] = run.lines("open_position")
    assert "opened #" in opened and "EURUSD buy 0.05" in opened and "ack done" in opened, run.output
    [command] = await db.rows("SELECT status, body, ack FROM commands WHERE type = 'open_position'")
    assert command["status"] == "done" and command["body"]["signal_id"] == "sig_e2e_1"
    ticket = command["ack"]["results"][0]["ticket"]
    comments = await db.rows("SELECT comment FROM deals WHERE position = :ticket", ticket=ticket)
    assert {row["comment"] for row in comments} == {"tg:sig_e2e_1"}, run.output
    [expected] = await db.rows("SELECT signal_id, volume FROM expected_trades")
    assert expected["signal_id"] == "sig_e2e_1" and str(expected["volume"]).startswith("0.05")
