"""The reference bridge client and simulated EA, against a small stand-in that checks BRIDGE.md."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any, NoReturn

import pytest
from aiohttp import web

from core.bridge.signing import NONCE_PATTERN, SIGNED_HEADERS, signature_matches
from sim import scenarios
from sim.ea.client import BridgeClient, BridgeError, encode_json
from sim.ea.simulator import SimulatedEA, SimulationResult, run_simulated_ea
from sim.scenarios import ManualOrder, MarketStep, Quote, SimAccount, build_scenario

SECRET = "5e" * 32
DEVICE = "dev_7Qx2"
LOGIN = 5012345
SERVER = "Broker-Live"
START = Decimal("10000.00")
Guard = Callable[[dict[str, Any]], list[dict[str, Any]]]


def _float_on_the_wire(text: str) -> NoReturn:
    pytest.fail(f"a JSON number with a fraction went over the wire: {text}")


@dataclass
class Recorded:
    method: str
    path_qs: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body, parse_float=_float_on_the_wire)


def _error(status: int, code: str, message: str = "", headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": {"code": code, "message": message or code}}
    return web.json_response(body, status=status, headers=headers)


def command(type_: str, number: int = 1, **fields: Any) -> dict[str, Any]:
    created = datetime.now(UTC).replace(microsecond=0)
    return {
        "id": f"cmd_{type_}_{number}",
        "type": type_,
        "reason": "admin",
        **fields,
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "expires_at": (created + timedelta(minutes=5)).isoformat().replace("+00:00", "Z"),
    }


@dataclass
class FakeBridge:
    """Verifies every request as BRIDGE.md orders the checks, records it, and answers like a server."""

    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    refusals: list[tuple[str, int, str, dict[str, str]]] = field(default_factory=list)
    stalls: list[float] = field(default_factory=list)
    guard: Guard | None = None
    forget_acks: bool = False
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    acks: list[tuple[str, bytes]] = field(default_factory=list)
    nonces: set[str] = field(default_factory=set)
    last_seq: int = 0

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._verify])
        app.router.add_get("/v1/bridge/ping", self._ping)
        app.router.add_post("/v1/bridge/snapshot", self._snapshot)
        app.router.add_get("/v1/bridge/commands", self._commands)
        app.router.add_post("/v1/bridge/commands/{id}/ack", self._ack)
        return app

    def snapshots(self) -> list[dict[str, Any]]:
        return [r.json() for r in self.requests if r.path_qs == "/v1/bridge/snapshot"]

    @web.middleware
    async def _verify(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(Recorded(request.method, request.raw_path, dict(request.headers), body))
        if self.stalls:
            await asyncio.sleep(self.stalls.pop(0))
        for index, (path, status, code, headers) in enumerate(self.refusals):
            if request.raw_path == path:
                del self.refusals[index]
                return _error(status, code, headers=headers)
        return self._refusal(request, body) or await handler(request)

    def _refusal(self, request: web.Request, body: bytes) -> web.Response | None:
        if any(name not in request.headers for name in SIGNED_HEADERS):
            return _error(401, "missing_header")
        device, stamp, nonce, signature = (request.headers[name] for name in SIGNED_HEADERS)
        if device != DEVICE:
            return _error(401, "unknown_device")
        if abs(int(stamp) - time.time()) > 30:
            return _error(401, "stale_timestamp")
        if not signature_matches(SECRET, request.method, request.raw_path, stamp, nonce, body, signature):
            return _error(401, "bad_signature")
        if nonce in self.nonces or not NONCE_PATTERN.match(nonce):
            return _error(409, "replayed_nonce")
        self.nonces.add(nonce)
        return None

    async def _ping(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "server_time": datetime.now(UTC).isoformat()})

    async def _snapshot(self, request: web.Request) -> web.Response:
        payload = json.loads(await request.read(), parse_float=Decimal)
        if payload["seq"] <= self.last_seq:
            return web.json_response({"accepted": True, "duplicate": True, "seq": payload["seq"]})
        self.last_seq = payload["seq"]
        for issued in self.guard(payload) if self.guard else []:
            self.pending.setdefault(issued["id"], issued)
        answer = {"accepted": True, "seq": self.last_seq, "commands": list(self.pending.values())}
        return web.json_response(answer)

    async def _commands(self, request: web.Request) -> web.Response:
        return web.json_response({"commands": list(self.pending.values())})

    async def _ack(self, request: web.Request) -> web.Response:
        command_id = request.match_info["id"]
        if command_id not in self.pending:
            return _error(404, "unknown_command")
        self.acks.append((command_id, await request.read()))
        if not self.forget_acks:
            del self.pending[command_id]
        return web.json_response({"ok": True})


@pytest.fixture
async def bridge(aiohttp_server: Any) -> FakeBridge:
    fake = FakeBridge()
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("/"))
    return fake


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(fake: FakeBridge, sleeps: Sleeps | None = None, **options: Any) -> BridgeClient:
    return BridgeClient(fake.url, DEVICE, SECRET, sleep=Sleeps() if sleeps is None else sleeps, **options)


async def play(
    fake: FakeBridge, account: SimAccount, steps: Any, lines: list[str] | None = None
) -> SimulationResult:
    async with client_for(fake) as client:
        ea = SimulatedEA(client, account, steps, out=None if lines is None else lines.append)
        return await ea.run(interval=0)


async def play_scenario(fake: FakeBridge, name: str, lines: list[str] | None = None) -> SimulationResult:
    played = build_scenario(name, login=LOGIN, server=SERVER, now=datetime.now(UTC))
    return await play(fake, played.account, played.steps, lines)


def drawdown_at_or_beyond(percent: int) -> Guard:
    """Issues close_all once (as the max-drawdown guard would) when equity is `percent`% down."""
    fired: list[bool] = []

    def guard(payload: dict[str, Any]) -> list[dict[str, Any]]:
        if fired or Decimal(payload["account"]["equity"]) > START * (100 - percent) / 100:
            return []
        fired.append(True)
        return [command("close_all", reason="max_drawdown")]

    return guard


def on_snapshot(number: int, *issued: dict[str, Any]) -> Guard:
    seen: list[int] = []

    def guard(payload: dict[str, Any]) -> list[dict[str, Any]]:
        seen.append(payload["seq"])
        return list(issued) if len(seen) == number else []

    return guard


def eurusd_account() -> SimAccount:
    account = SimAccount(login=LOGIN, server=SERVER)
    account.set_quote(Quote("EURUSD", Decimal("1.08540"), Decimal("1.08550")))
    account.open("EURUSD", "buy", Decimal("0.30"), datetime.now(UTC), reason="client")
    return account


def equity_path(name: str) -> list[Decimal]:
    played = build_scenario(name, login=LOGIN, server=SERVER, now=datetime.now(UTC))
    path = [played.account.equity]
    for step in played.steps:
        played.account.apply(step, datetime.now(UTC))
        path.append(played.account.equity)
    return path


def first_step_down(path: list[Decimal], percent: int) -> int:
    return next(i for i, equity in enumerate(path) if equity <= START * (100 - percent) / 100)


# ---- the client ---------------------------------------------------------------------------------


async def test_every_request_is_signed_over_the_exact_path_and_bytes_sent(bridge: FakeBridge) -> None:
    bridge.pending["cmd_a1"] = command("lock", reason="locked") | {"id": "cmd_a1"}
    payload = {"seq": 7, "time": datetime(2026, 11, 27, 21, tzinfo=UTC), "price": Decimal("1.08550")}
    async with client_for(bridge) as client:
        assert (await client.ping())["ok"] is True
        assert (await client.snapshot(payload))["accepted"] is True
        assert [c["id"] for c in await client.commands()] == ["cmd_a1"]
        await client.ack("cmd_a1", "done", [])
    methods_and_paths = [(r.method, r.path_qs) for r in bridge.requests]
    assert methods_and_paths == [
        ("GET", "/v1/bridge/ping"),
        ("POST", "/v1/bridge/snapshot"),
        ("GET", "/v1/bridge/commands"),
        ("POST", "/v1/bridge/commands/cmd_a1/ack"),
    ]
    assert len(bridge.nonces) == 4  # every one passed the signature check
    snapshot = bridge.requests[1]
    assert snapshot.body == encode_json(payload)
    assert snapshot.body == b'{"seq":7,"time":"2026-11-27T21:00:00Z","price":"1.08550"}'
    assert snapshot.headers["Content-Type"] == "application/json"
    assert json.loads(bridge.requests[3].body) == {"status": "done", "results": [], "message": ""}


async def test_nonces_are_fresh_and_match_the_bridge_pattern(bridge: FakeBridge) -> None:
    async with client_for(bridge) as client:
        for _ in range(20):
            await client.ping()
    nonces = [r.headers["X-TG-Nonce"] for r in bridge.requests]
    assert len(set(nonces)) == 20
    assert all(NONCE_PATTERN.match(nonce) and len(nonce) == 32 for nonce in nonces)
    assert all(abs(int(r.headers["X-TG-Timestamp"]) - time.time()) < 5 for r in bridge.requests)


async def test_a_clock_offset_makes_a_stale_timestamp_that_is_refused_without_retry(
    bridge: FakeBridge,
) -> None:
    async with client_for(bridge, clock_offset=-120) as client:
        with pytest.raises(BridgeError) as refused:
            await client.ping()
    assert (refused.value.status, refused.value.code) == (401, "stale_timestamp")
    assert len(bridge.requests) == 1


async def test_a_503_is_retried_after_its_retry_after_with_the_same_body(bridge: FakeBridge) -> None:
    bridge.refusals.append(("/v1/bridge/snapshot", 503, "unavailable", {"Retry-After": "3"}))
    sleeps = Sleeps()
    async with client_for(bridge, sleeps) as client:
        answer = await client.snapshot({"seq": 1})
    assert answer["accepted"] is True
    assert sleeps == [3.0]
    first, second = bridge.requests
    assert first.body == second.body
    assert first.headers["X-TG-Nonce"] != second.headers["X-TG-Nonce"]


async def test_429_retries_are_bounded_and_end_in_a_bridge_error(bridge: FakeBridge) -> None:
    bridge.refusals += [("/v1/bridge/ping", 429, "rate_limited", {"Retry-After": "1"})] * 3
    sleeps = Sleeps()
    async with client_for(bridge, sleeps, max_attempts=3) as client:
        with pytest.raises(BridgeError) as refused:
            await client.ping()
    assert (refused.value.status, refused.value.code, refused.value.retry_after) == (429, "rate_limited", 1.0)
    assert sleeps == [1.0, 1.0]
    assert len(bridge.requests) == 3


async def test_a_timeout_resends_the_same_snapshot_with_a_new_nonce(bridge: FakeBridge) -> None:
    bridge.stalls.append(0.5)
    async with client_for(bridge, timeout=0.2) as client:
        answer = await client.snapshot({"seq": 41})
    assert answer == {"accepted": True, "seq": 41, "commands": []}
    first, second = bridge.requests
    assert first.body == second.body
    assert first.headers["X-TG-Nonce"] != second.headers["X-TG-Nonce"]


async def test_an_error_answer_raises_with_its_code_and_message_and_is_not_retried(
    bridge: FakeBridge,
) -> None:
    bridge.refusals.append(("/v1/bridge/snapshot", 400, "invalid_payload", {}))
    async with client_for(bridge) as client:
        with pytest.raises(BridgeError) as refused:
            await client.snapshot({"seq": 1})
    error = refused.value
    assert (error.status, error.code, error.message, error.retry_after) == (
        400,
        "invalid_payload",
        "invalid_payload",
        None,
    )
    assert len(bridge.requests) == 1


def test_floats_are_refused_before_anything_is_sent() -> None:
    with pytest.raises(TypeError):
        encode_json({"balance": 10000.0})


# ---- the scenarios ------------------------------------------------------------------------------


def test_the_crash_crosses_10_15_and_20_percent_drawdown_within_a_few_steps() -> None:
    path = equity_path("crash")
    assert path[0] > START * Decimal("0.99")
    assert first_step_down(path, 20) - first_step_down(path, 10) <= 3
    assert first_step_down(path, 10) < first_step_down(path, 15) < first_step_down(path, 20)


def test_the_crash_ends_in_a_stop_out_when_nobody_acts() -> None:
    played = build_scenario("crash", login=LOGIN, server=SERVER, now=datetime.now(UTC))
    for step in played.steps:
        played.account.apply(step, datetime.now(UTC))
    assert played.account.positions == {}
    assert [deal.reason for deal in played.account.history if deal.entry == "out"] == ["so"]
    assert played.account.equity == played.account.balance < 0


def test_the_slow_bleed_loses_half_to_one_percent_a_step_to_about_a_quarter_down() -> None:
    path = equity_path("slow_bleed")
    losses = [(before - after) / START * 100 for before, after in pairwise(path)]
    assert all(Decimal("0.5") <= loss <= 1 for loss in losses)
    assert Decimal("0.74") <= path[-1] / START <= Decimal("0.76")


def test_steady_stays_within_a_percent_of_the_start() -> None:
    assert all(abs(equity - START) < START / 100 for equity in equity_path("steady"))


def test_the_withdrawal_is_a_balance_deal_with_negative_profit_and_no_trading_loss() -> None:
    played = build_scenario("withdrawal", login=LOGIN, server=SERVER, now=datetime.now(UTC))
    account, deals = played.account, []
    path = [account.equity]
    for step in played.steps:
        deals += account.apply(step, datetime.now(UTC))
        path.append(account.equity)
    (withdrawal,) = deals
    assert (withdrawal.type, withdrawal.profit, withdrawal.position) == ("balance", Decimal("-3000.00"), 0)
    drops = {before - after for before, after in pairwise(path[1:])}
    assert drops == {Decimal(0), Decimal("3000.00")}
    assert account.balance == Decimal("7000.00")


def test_every_scenario_plays_the_same_way_twice() -> None:
    for name in ("steady", "slow_bleed", "crash", "withdrawal"):
        assert equity_path(name) == equity_path(name)


@pytest.mark.skipif(not scenarios.REPLAY_TICKS_PATH.exists(), reason="the EURCHF tick file is absent")
def test_the_crash_replay_crosses_20_percent_drawdown_in_the_real_ticks() -> None:
    path = equity_path("crash_replay")
    assert first_step_down(path, 20) < len(path)


def test_reading_ticks_keeps_the_rows_from_the_given_time(tmp_path: Path) -> None:
    ticks = tmp_path / "ticks.csv"
    ticks.write_bytes(
        b"2015.01.15 09:30:39.900,1.2009,1.201,1.0,1.0\r\n2015.01.15 09:30:40.001,1.1,1.2,1,1\r\n"
    )
    assert scenarios.read_ticks(ticks) == [(Decimal("1.1"), Decimal("1.2"))]


def test_an_unknown_scenario_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown scenario 'moon'"):
        build_scenario("moon", login=LOGIN, server=SERVER, now=datetime.now(UTC))


# ---- the simulated EA ---------------------------------------------------------------------------


async def test_close_all_in_an_answer_closes_everything_acks_done_and_sends_a_flat_snapshot(
    bridge: FakeBridge,
) -> None:
    bridge.guard, lines = drawdown_at_or_beyond(20), []
    result = await play_scenario(bridge, "crash", lines)
    (ack_id, ack_body), *_ = bridge.acks
    ack = json.loads(ack_body, parse_float=_float_on_the_wire)
    (closed,) = ack["results"]
    assert (ack_id, ack["status"]) == ("cmd_close_all_1", "done")
    assert closed["ticket"] == 100001 and closed["closed_volume"] == "0.50"
    assert Decimal(closed["profit"]) <= Decimal("-2000.00") and Decimal(closed["price"]) < Decimal("1.16")
    paths = [r.path_qs for r in bridge.requests]
    after_ack = bridge.requests[paths.index("/v1/bridge/commands/cmd_close_all_1/ack") + 1].json()
    assert after_ack["positions"] == []
    assert {(d["entry"], d["reason"], d["position"]) for d in after_ack["deals"]} == {
        ("out", "expert", 100001)
    }
    snapshots = bridge.snapshots()
    assert all(s["positions"] == [] for s in snapshots[snapshots.index(after_ack) :])
    assert result.commands_executed == ["cmd_close_all_1"]
    assert "EA 5012345: close_all (max_drawdown) → closed 1 position(s), ack done" in lines
    assert result.final_equity == result.final_balance == START + Decimal(closed["profit"])
    assert result.errors == []


async def test_a_repeated_command_is_acked_again_but_executed_once(bridge: FakeBridge) -> None:
    bridge.guard, bridge.forget_acks = on_snapshot(1, command("close_all", reason="max_drawdown")), True
    result = await play(
        bridge,
        eurusd_account(),
        build_scenario("steady", login=LOGIN, server=SERVER, now=datetime.now(UTC)).steps,
    )
    assert result.commands_executed == ["cmd_close_all_1"]
    assert len(result.commands_received) == len(bridge.acks) > 2
    assert len({body for _, body in bridge.acks}) == 1
    closes = [d for s in bridge.snapshots() for d in s["deals"] if d["entry"] == "out"]
    assert len(closes) == 1


async def test_snapshots_carry_decimal_strings_utc_times_and_no_floats(bridge: FakeBridge) -> None:
    bridge.guard = drawdown_at_or_beyond(20)
    await play_scenario(bridge, "crash")
    first = bridge.snapshots()[0]  # Recorded.json fails the test on any float
    assert first["account"] == {
        "login": LOGIN,
        "server": SERVER,
        "currency": "USD",
        "balance": "10000.00",
        "equity": "9996.00",
        "margin": "600.50",
        "free_margin": "9395.50",
        "leverage": 100,
    }
    (position,) = first["positions"]
    assert (position["volume"], position["open_price"], position["price"]) == ("0.50", "1.20100", "1.20092")
    assert first["time"].endswith("Z") and position["open_time"].endswith("Z")
    assert [(q["symbol"], q["bid"], q["ask"]) for q in first["quotes"]] == [("EURCHF", "1.20092", "1.20100")]


async def test_seq_increases_and_deals_are_resent_until_a_snapshot_is_accepted(bridge: FakeBridge) -> None:
    bridge.refusals.append(("/v1/bridge/snapshot", 400, "invalid_payload", {}))
    played = build_scenario("withdrawal", login=LOGIN, server=SERVER, now=datetime.now(UTC))
    result = await play(bridge, played.account, played.steps)
    bodies = [r.json() for r in bridge.requests if r.path_qs == "/v1/bridge/snapshot"]
    seqs = [body["seq"] for body in bodies]
    assert seqs == sorted(set(seqs))
    deal_tickets = [[d["ticket"] for d in body["deals"]] for body in bodies]
    assert deal_tickets[:3] == [[900001], [900001], []]  # refused, then resent, then nothing new
    assert [d["type"] for body in bodies[3:] for d in body["deals"]] == ["balance"]
    assert len(result.errors) == 1 and "invalid_payload" in result.errors[0]


async def test_unknown_command_types_are_acked_failed_with_a_message(bridge: FakeBridge) -> None:
    bridge.guard = on_snapshot(1, command("hedge_everything"))
    result = await play(bridge, eurusd_account(), [])
    (_, body), *_ = bridge.acks
    assert json.loads(body) == {
        "status": "failed",
        "results": [],
        "message": "unknown command type 'hedge_everything'",
    }
    assert result.acks_sent == [("cmd_hedge_everything_1", "failed")]


async def test_open_and_partial_close_follow_the_command_fields(bridge: FakeBridge) -> None:
    bridge.guard = on_snapshot(
        1,
        command(
            "open_position", symbol="EURUSD", side="sell", volume="0.20", sl="1.09000", signal_id="sig_8f3a"
        ),
        command("close_position", 2, ticket=100001, volume="0.10"),
    )
    account = eurusd_account()
    await play(bridge, account, [])
    opened, partial = (json.loads(body)["results"][0] for _, body in bridge.acks)
    assert opened == {"ticket": 100002, "volume": "0.20", "price": "1.08540"}
    assert partial == {"ticket": 100001, "closed_volume": "0.10", "price": "1.08540", "profit": "-1.00"}
    positions = {p["ticket"]: p for p in bridge.snapshots()[-1]["positions"]}
    assert (positions[100002]["comment"], positions[100002]["magic"], positions[100002]["sl"]) == (
        "tg:sig_8f3a",
        7300,
        "1.09000",
    )
    assert positions[100001]["volume"] == "0.20"


async def test_while_locked_nothing_opens_and_a_position_that_appears_is_closed(bridge: FakeBridge) -> None:
    bridge.guard = on_snapshot(
        1,
        command("lock", reason="daily_loss"),
        command("open_position", 2, symbol="EURUSD", side="buy", volume="0.10"),
    )
    quote = Quote("EURUSD", Decimal("1.08540"), Decimal("1.08550"))
    by_hand = MarketStep((quote,), orders=(ManualOrder("EURUSD", "buy", Decimal("1.00")),))
    account = eurusd_account()
    result = await play(bridge, account, [by_hand])
    assert result.acks_sent == [("cmd_lock_1", "done"), ("cmd_open_position_2", "failed")]
    assert list(account.positions) == [100001]  # held before the lock, so left to close_all
    closed = [(d.position, d.reason) for d in account.history if d.entry == "out"]
    assert closed == [(100002, "expert")]


async def test_run_simulated_ea_plays_a_scenario_and_reports_what_it_does(bridge: FakeBridge) -> None:
    lines: list[str] = []
    result = await run_simulated_ea(
        bridge.url, DEVICE, SECRET, "withdrawal", login=LOGIN, server=SERVER, interval=0, out=lines.append
    )
    assert result.snapshots_sent == 8 and result.errors == []
    assert result.final_balance == Decimal("7000.00") and result.final_equity == Decimal("7005.00")
    assert "EA 5012345: snapshot #1 equity 9,999.00 USD" in lines
    assert "EA 5012345: withdrawal -3,000.00 USD (balance deal #900002)" in lines


async def test_steps_and_linger_bound_the_run(bridge: FakeBridge) -> None:
    lines: list[str] = []
    result = await run_simulated_ea(
        bridge.url,
        DEVICE,
        SECRET,
        "crash",
        login=LOGIN,
        server=SERVER,
        interval=0.1,
        steps=2,
        linger=0.25,
        out=lines.append,
    )
    assert 1 + 2 + 2 <= result.snapshots_sent <= 1 + 2 + 3  # first, two steps, heartbeats to 0.25 s
    assert bridge.snapshots()[-1]["quotes"][0]["bid"] == "1.20093"  # heartbeats do not move the market


async def test_an_invalid_volume_is_acked_failed_and_nothing_trades(bridge: FakeBridge) -> None:
    bridge.guard = on_snapshot(1, command("close_position", ticket=100001, volume="0.005"))
    account = eurusd_account()
    result = await play(bridge, account, [])
    (_, body), *_ = bridge.acks
    assert json.loads(body)["status"] == "failed"
    assert "invalid volume 0.005" in json.loads(body)["message"]
    assert account.positions[100001].volume == Decimal("0.30") and result.snapshots_sent == 1


async def test_wrong_credentials_stop_the_run_at_the_first_ping(bridge: FakeBridge) -> None:
    with pytest.raises(BridgeError) as refused:
        await run_simulated_ea(
            bridge.url, DEVICE, "00" * 32, "steady", login=LOGIN, server=SERVER, interval=0
        )
    assert (refused.value.status, refused.value.code) == (401, "bad_signature")
    assert [r.path_qs for r in bridge.requests] == ["/v1/bridge/ping"]
