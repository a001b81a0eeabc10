"""The EA's own core, not the Python simulator, against `tradeguard run`: ea/shim/drive.cpp compiles
Bridge.mqh, Commands.mqh and Wire.mqh (the text MetaEditor compiles) with the MQL5 shim and the fake
terminal. The account falls 25 %, the server sends close_all, the EA locks, closes (largest loss first),
keeps closing what a grid EA reopens, acks, and the trader hears the account was closed out."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from core.bridge.signing import signature_matches
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


async def run_drive(binary: Path, url: str, creds: Credentials, *args: str) -> EaRun:
    process = await asyncio.create_subprocess_exec(
        str(binary), "--url", url, "--device", creds.device_id, *args,
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

    run = await run_drive(drive, service.url, creds, "--grid", "--interval-ms", "400", "--seconds", "60")

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

    run = await run_drive(drive, service.url, creds, "--login", "5099999", "--seconds", "10")

    assert run.returncode == 3, run.output  # the EA stopped itself
    (alert,) = run.lines("ALERT TradeGuard: wrong account")
    assert f"linked to {LOGIN} ({SERVER})" in alert and "logged in to 5099999" in alert
    assert not run.lines("snapshot #"), run.output
    assert summary(run)["snapshots"] == 0
    assert await db.guard(LOGIN) is None  # nothing was stored for the account
    status = await converse(ann, "/status")
    assert "no data" in status.text


@dataclass
class StubBridge:
    """BRIDGE.md's server side reduced to a script: checks every signature (over the URL's path prefix
    too), answers the first snapshot 503 and the second 429 (both with Retry-After), then close_all."""

    secret: str
    requests: list[tuple[float, str, bytes]] = field(default_factory=list)
    acks: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0
    snapshots: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/tg/v1/bridge/{tail:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append((time.monotonic(), f"{request.method} {request.path}", body))
        headers = request.headers
        if not signature_matches(
            self.secret, request.method, request.path_qs, headers["X-TG-Timestamp"],
            headers["X-TG-Nonce"], body, headers["X-TG-Signature"],
        ):  # fmt: skip
            self.bad_signatures += 1
            return web.json_response({"error": {"code": "bad_signature", "message": "no"}}, status=401)
        tail = request.match_info["tail"]
        if tail == "ping":
            now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            return web.json_response({"ok": True, "server_time": now, "login": LOGIN, "server": SERVER})
        if tail == "commands":
            return web.json_response({"commands": []})
        if tail.endswith("/ack"):
            self.acks.append(json.loads(body))
            return web.json_response({"ok": True})
        self.snapshots += 1
        seq = json.loads(body)["seq"]
        if self.snapshots == 1:
            busy = {"error": {"code": "unavailable", "message": "busy"}}
            return web.json_response(busy, status=503, headers={"Retry-After": "2"})
        if self.snapshots == 2:
            limited = {"error": {"code": "rate_limited", "message": "slow down"}}
            return web.json_response(limited, status=429, headers={"Retry-After": "1"})
        close_all = {"id": "cmd_stub1", "type": "close_all", "reason": "admin"}
        commands = [close_all] if self.snapshots == 3 else []
        return web.json_response({"accepted": True, "seq": seq, "commands": commands})

    def snapshot_times(self) -> list[float]:
        return [at for at, what, _ in self.requests if what.endswith("/snapshot")]


async def test_the_ea_waits_as_told_after_503_and_429_then_sends_its_latest_state(
    ea_program: Callable[[str], Path],
) -> None:
    drive = ea_program("drive")
    stub = StubBridge(secrets.token_hex(32))
    server = TestServer(stub.app(), host="127.0.0.1")
    await server.start_server()
    try:
        creds = Credentials("dev_stub", stub.secret, LOGIN, SERVER)
        url = str(server.make_url("/tg/"))  # a path prefix: it is signed too
        run = await run_drive(drive, url, creds, "--interval-ms", "300", "--seconds", "30")
    finally:
        await server.close()

    assert run.returncode == 0, run.output
    assert stub.bad_signatures == 0, run.output
    busy, limited, accepted, *_ = stub.snapshot_times()
    assert accepted - limited >= 0.95, run.output  # Retry-After: 1
    assert limited - busy >= 1.95, run.output  # Retry-After: 2
    seqs = [json.loads(body)["seq"] for _, what, body in stub.requests if what.endswith("/snapshot")]
    assert seqs == sorted(set(seqs)), seqs  # each try is a new snapshot, never the old one again
    assert run.lines("snapshot failed: 503 unavailable (server busy); next try in 2 s with the latest state")
    assert run.lines("snapshot failed: 429 rate_limited (too many requests); next try in 1 s")
    (ack,) = stub.acks
    assert ack["status"] == "done" and len(ack["results"]) == 2
