"""`kill -9` in the middle of a liquidation: the restarted service finishes it, once."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from sim.ea.client import BridgeClient
from sim.ea.simulator import SimulatedEA, snapshot_payload
from sim.scenarios import SimAccount, build_scenario
from sim.telegram import BotApiStandIn, SentMessage
from tests.e2e.harness import Credentials, Database, Launch, converse, eventually, link

pytestmark = pytest.mark.e2e

LOGIN = 5012345
SERVER = "E2E-Live"


def now() -> datetime:
    return datetime.now(UTC)


async def crash_until_close_all(url: str, creds: Credentials) -> tuple[SimAccount, dict[str, Any]]:
    """Play the crash as a terminal that receives the close_all but never acts on it (nor acks it)."""
    scenario = build_scenario("crash", login=creds.login, server=creds.server, now=now())
    account = scenario.account
    seq = time.time_ns() // 1_000_000
    async with BridgeClient(url, creds.device_id, creds.secret) as client:
        await client.ping()
        for step in [None, *scenario.steps]:
            if step is not None:
                account.apply(step, now())
            seq += 1
            deals = list(account.unsent_deals)
            answer = await client.snapshot(snapshot_payload(account, seq, now(), deals))
            account.acknowledge_deals({deal.ticket for deal in deals})
            close_all = [command for command in answer["commands"] if command["type"] == "close_all"]
            if close_all:
                return account, close_all[0]
    raise AssertionError("the crash never produced a close_all")


async def finish_as_a_terminal(url: str, creds: Credentials, account: SimAccount) -> list[str]:
    """The same terminal comes back: picks up the pending commands, obeys, acks, sends a snapshot."""
    output: list[str] = []
    async with BridgeClient(url, creds.device_id, creds.secret) as client:
        result = await SimulatedEA(client, account, iter(()), out=output.append).run(interval=0.1, steps=0)
    assert not result.errors, output
    return output


def is_liquidation_warning(message: SentMessage) -> bool:
    return "maximum drawdown reached" in message.text


def is_liquidated(message: SentMessage) -> bool:
    return "has been closed out" in message.text


async def test_a_liquidation_interrupted_by_kill_9_completes_once_after_restart(
    standin: BotApiStandIn, launch: Launch, db: Database
) -> None:
    first = await launch(LIQUIDATION_GRACE_SECONDS=0)
    ann = standin.user(1001, "Ann", "en")
    await converse(ann, "/start")
    creds = await link(ann, LOGIN, SERVER)

    account, close_all = await crash_until_close_all(first.url, creds)
    assert account.positions, "the terminal has not closed anything"
    guard = await db.guard(LOGIN)
    assert guard is not None and guard["status"] == "liquidating"
    warning = await ann.wait_for_message(is_liquidation_warning, timeout=20)
    assert "being closed now" in warning.text
    # kill only once the warning is recorded as delivered: a send in flight would be sent twice
    await eventually(lambda: _trader_alerts_delivered(db, ann.chat_id), what="trader alerts delivered")
    issued_before = {row["id"] for row in await db.commands(LOGIN)}

    assert await first.kill() == -9
    second = await launch(LIQUIDATION_GRACE_SECONDS=0, port=first.port)
    ea_output = await finish_as_a_terminal(second.url, creds, account)

    liquidated = await ann.wait_for_message(is_liquidated, timeout=20)
    assert not account.positions
    assert [line for line in ea_output if "close_all (max_drawdown)" in line] == [
        f"EA {LOGIN}: close_all (max_drawdown) → closed 1 position(s), ack done"
    ], ea_output
    guard = await db.guard(LOGIN)
    assert guard is not None and guard["status"] == "liquidated"
    close_alls = await db.commands(LOGIN, "close_all")
    assert [row["id"] for row in close_alls] == [close_all["id"]]
    assert close_alls[0]["status"] == "done"
    assert {row["id"] for row in await db.commands(LOGIN)} == issued_before  # nothing issued after restart

    await eventually(lambda: _trader_alerts_delivered(db, ann.chat_id), what="trader alerts delivered")
    assert len(await db.outbox(ann.chat_id, "liquidation_warning")) == 1
    assert len(await db.outbox(ann.chat_id, "liquidated")) == 1
    assert [m for m in ann.messages if is_liquidation_warning(m)] == [warning]
    assert [m for m in ann.messages if is_liquidated(m)] == [liquidated]


async def _trader_alerts_delivered(db: Database, chat_id: int) -> bool:
    rows = await db.outbox(chat_id)
    return bool(rows) and all(row["status"] == "sent" for row in rows)
