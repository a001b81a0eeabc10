"""The EA's own core, not the Python simulator, against `tradeguard run`: ea/shim/drive.cpp compiles
Bridge.mqh, Commands.mqh and Wire.mqh (the text MetaEditor compiles) with the MQL5 shim and the fake
terminal. The account falls 25 %, the server sends close_all, the EA locks, closes (largest loss first),
keeps closing what a grid EA reopens, acks, and the trader hears the account was closed out."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sim.telegram import BotApiStandIn, SentMessage, SimUser
from tests.e2e.harness import (
    Credentials,
    Database,
    EaRun,
    Launch,
    Service,
    base_env,
    converse,
    eventually,
    link,
)
from tests.ea.conftest import ea_program as ea_program  # the EA tier's g++ build fixture, shared

pytestmark = pytest.mark.e2e

LOGIN = 5012345
SERVER = "E2E-Live"
TIMEOUT = 90.0


async def run_drive(binary: Path, service: Service, creds: Credentials, *args: str) -> EaRun:
    process = await asyncio.create_subprocess_exec(
        str(binary), "--url", service.url, "--device", creds.device_id, *args,
        env={**base_env(), "TG_DEVICE_SECRET": creds.secret},  # the secret stays off the command line
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=TIMEOUT)
    except TimeoutError:
        process.kill()
        output, _ = await process.communicate()
        raise AssertionError(f"the EA drive did not finish in {TIMEOUT} s:\n{output.decode()}") from None
    assert process.returncode is not None
    print(output.decode(errors="replace"))  # shown when a test fails
    return EaRun(process.returncode, output.decode(errors="replace"))


def summary(run: EaRun) -> dict[str, Any]:
    lines = run.lines('{"drive":true')
    assert lines, run.output
    result: dict[str, Any] = json.loads(lines[-1])
    return result


async def linked(standin: BotApiStandIn, launch: Launch) -> tuple[Service, SimUser, Credentials]:
    """The service running and Ann's account linked: the device id and secret for the EA's inputs."""
    service = await launch()
    ann = standin.user(1001, "Ann", "en")
    await converse(ann, "/start")
    return service, ann, await link(ann, LOGIN, SERVER)


def is_liquidated(message: SentMessage) -> bool:
    return "has been closed out" in message.text


async def test_the_ea_core_closes_out_a_falling_account_and_its_lock_beats_a_grid_ea(
    standin: BotApiStandIn, launch: Launch, db: Database, ea_program: Callable[[str], Path]
) -> None:
    drive = ea_program("drive")
    service, ann, creds = await linked(standin, launch)
    mark = standin.mark()

    run = await run_drive(drive, service, creds, "--grid", "--interval-ms", "400", "--seconds", "60")

    assert run.returncode == 0, run.output
    done = summary(run)
    assert done["closed_all"] and done["locked"] and not done["halted"], run.output
    assert done["positions_left"] == 0, run.output
    assert run.lines("TradeGuard: connected to"), run.output
    assert run.lines("TradeGuard: locked (max_drawdown)"), run.output
    (executed,) = run.lines("TradeGuard: close_all (max_drawdown) -> closed 2 position(s), ack done")
    assert executed
    # the grid EA reopened its closed position on the next tick; the lock closed it before any snapshot
    assert done["grid_reopened"] >= 1, run.output
    assert len(run.lines("TradeGuard: locked: closed #")) == done["grid_reopened"], run.output

    close_all = await db.commands(LOGIN, "close_all")
    assert len(close_all) == 1, close_all
    ack = close_all[0]["ack"]
    assert close_all[0]["status"] == "done" and ack["status"] == "done", close_all
    first, second = ack["results"]
    assert Decimal(first["closed_volume"]) == Decimal("1.00")  # the EURUSD lot: the largest loss first
    assert Decimal(first["profit"]) < Decimal(second["profit"])
    assert Decimal(first["profit"]) <= Decimal("-2000")
    assert Decimal(second["closed_volume"]) == Decimal("0.10")

    async def liquidated() -> bool:
        guard = await db.guard(LOGIN)
        return guard is not None and guard["status"] == "liquidated"

    await eventually(liquidated, timeout=30, what="the guard's liquidated state")
    alert = await ann.wait_for_message(is_liquidated, timeout=30, after=mark)
    assert f"#{first['ticket']} closed 1.00 at {first['price']}" in alert.text
    assert len(await db.outbox(ann.chat_id, "liquidated")) == 1


async def test_the_ea_refuses_to_run_on_an_account_it_is_not_linked_to(
    standin: BotApiStandIn, launch: Launch, db: Database, ea_program: Callable[[str], Path]
) -> None:
    drive = ea_program("drive")
    service, ann, creds = await linked(standin, launch)

    run = await run_drive(drive, service, creds, "--login", "5099999", "--seconds", "10")

    assert run.returncode == 3, run.output  # the EA stopped itself
    (alert,) = run.lines("ALERT TradeGuard: wrong account")
    assert f"linked to {LOGIN} ({SERVER})" in alert and "logged in to 5099999" in alert
    assert not run.lines("snapshot #"), run.output
    assert summary(run)["snapshots"] == 0
    assert await db.guard(LOGIN) is None  # nothing was stored for the account
    status = await converse(ann, "/status")
    assert "no data" in status.text
