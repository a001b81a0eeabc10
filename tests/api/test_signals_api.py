"""POST /v1/signals (PRODUCT.md, Signals): strict validation with nothing stored on a bad request, one
signal per id (also under two concurrent posts), and the fan-out each account's mode and guard decide."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import jwt
import pytest
from sqlalchemy import text

from bot.app import Core
from core.api.operator import issue_token
from core.domain.account_key import parse_account_key
from core.domain.models import User
from db.uow import unit_of_work_factory
from tests.api.conftest import Bridge
from tests.api.wire import SNAPSHOT, accepted, refusal, snapshot

SIGNALS = "/v1/signals"
ADMIN_ID = 900001
EURUSD = {"symbol": "EURUSD", "side": "buy", "volume": "0.10", "sl": "1.08000", "tp": "1.09500"}


def bearer(core: Core, role: str = "operator", ttl: timedelta = timedelta(hours=1)) -> dict[str, str]:
    if role == "operator":
        token = issue_token(core.token_key, role, core.clock(), ttl)
    else:
        now = int(core.clock().timestamp())
        claims = {"role": role, "iat": now, "exp": now + 3600, "iss": "tradeguard", "jti": "other-role"}
        token = jwt.encode(claims, core.token_key, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


async def post(bridge: Bridge, core: Core, body: Any, headers: dict[str, str] | None = None) -> Any:
    return await bridge.client.post(SIGNALS, json=body, headers=bearer(core) if headers is None else headers)


async def trader(core: Core, telegram_id: int = 4242) -> User:
    return await core.bot_services.users.resolve(telegram_id, "Ann", None, "en")


async def counts(core: Core) -> dict[str, int]:
    tables = ("signals", "signal_deliveries", "expected_trades", "commands", "outbox")
    async with core.engine.connect() as connection:
        return {t: (await connection.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one() for t in tables}


async def rows(core: Core, sql: str) -> list[tuple[Any, ...]]:
    async with core.engine.connect() as connection:
        return [tuple(row) for row in await connection.execute(text(sql))]


BAD_BODIES: dict[str, tuple[dict[str, Any], str]] = {
    "unknown field": ({"id": "s1", **EURUSD, "leverage": 500}, "leverage"),
    "bad symbol": ({"id": "s1", **EURUSD, "symbol": "EUR/USD"}, "symbol"),
    "empty symbol": ({"id": "s1", **EURUSD, "symbol": ""}, "symbol"),
    "negative volume": ({"id": "s1", **EURUSD, "volume": "-0.10"}, "volume: must be > 0"),
    "zero volume": ({"id": "s1", **EURUSD, "volume": 0}, "volume: must be > 0"),
    "float-ish NaN volume": ({"id": "s1", **EURUSD, "volume": "NaN"}, "volume"),
    "both volume and risk": ({"id": "s1", **EURUSD, "risk_percent": "1"}, "exactly one"),
    "neither volume nor risk": ({"id": "s1", "symbol": "EURUSD", "side": "buy"}, "exactly one"),
    "risk over 100": ({"id": "s1", "symbol": "EURUSD", "side": "buy", "risk_percent": 101}, "risk_percent"),
    "id over 28 characters": ({"id": "s" * 29, **EURUSD}, "id: 1 to 28"),
    "id with a colon": ({"id": "sig:1", **EURUSD}, "id: only"),
    "id not a string": ({"id": 17, **EURUSD}, "id"),
    "bad side": ({"id": "s1", **EURUSD, "side": "long"}, "side"),
    "expired": (
        {"id": "s1", **EURUSD, "expires_at": "2020-01-01T00:00:00Z"},
        "expires_at: must be in the future",
    ),
    "buy sl above entry": ({"id": "s1", **EURUSD, "entry": "1.07000"}, "sl: must be below entry for a buy"),
    "sell tp above entry": (
        {"id": "s1", **EURUSD, "side": "sell", "entry": "1.08500", "sl": "1.09000", "tp": "1.09500"},
        "tp: must be below entry for a sell",
    ),
    "not an object": ([1, 2], "body"),
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
async def test_a_bad_signal_is_refused_with_400_naming_the_field_and_nothing_is_stored(
    bridge: Bridge, core: Core, case: str
) -> None:
    body, named = BAD_BODIES[case]
    message = await refusal(await post(bridge, core, body), 400, "invalid_payload")
    assert named in message
    assert set((await counts(core)).values()) == {0}


async def test_a_body_that_is_not_json_is_400_invalid_json(bridge: Bridge, core: Core) -> None:
    response = await bridge.client.post(SIGNALS, data=b"{nope", headers=bearer(core))
    await refusal(response, 400, "invalid_json")
    assert set((await counts(core)).values()) == {0}


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ("none", 401, "unauthorized"),
        ("expired", 401, "unauthorized"),
        ("wrong role", 403, "forbidden"),
    ],
)
async def test_a_signal_without_a_valid_operator_token_is_refused_and_nothing_is_stored(
    bridge: Bridge, core: Core, clock: Any, headers: str, status: int, code: str
) -> None:
    chosen = {
        "none": {},
        "expired": bearer(core, ttl=timedelta(minutes=1)),
        "wrong role": bearer(core, role="payments"),
    }[headers]
    clock.advance(120)
    await refusal(await post(bridge, core, {"id": "s1", **EURUSD}, chosen), status, code)
    assert set((await counts(core)).values()) == {0}


async def test_in_auto_mode_the_open_position_is_in_the_next_snapshot_answer_and_the_trade_expected(
    bridge: Bridge, core: Core
) -> None:
    await core.bot_services.signals.set_mode(await trader(core), "auto")

    response = await post(bridge, core, {"id": "sig_8f3a", **EURUSD})
    answer = await accepted(await bridge.call("POST", SNAPSHOT, snapshot()))

    body = await response.json()
    assert response.status == 201, body
    assert (body["accounts"], body["auto"], body["approve"], body["created"]) == (1, 1, 0, True)
    assert body["signal"]["volume"] == "0.1" and body["signal"]["id"] == "sig_8f3a"
    [command] = answer["commands"]
    wire = ("type", "reason", "symbol", "side", "volume", "sl", "tp", "signal_id")
    assert {name: command[name] for name in wire} == {
        "type": "open_position", "reason": "signal", "symbol": "EURUSD", "side": "buy", "volume": "0.1",
        "sl": "1.08", "tp": "1.095", "signal_id": "sig_8f3a",
    }  # fmt: skip
    [expected] = await expected_trades(core)
    assert expected[:4] == ("sig_8f3a", command["id"], "EURUSD", None)


async def test_the_ticket_of_the_eas_ack_completes_the_expected_trade(bridge: Bridge, core: Core) -> None:
    await core.bot_services.signals.set_mode(await trader(core), "auto")
    await post(bridge, core, {"id": "sig_ack", **EURUSD})
    [command] = (await accepted(await bridge.call("POST", SNAPSHOT, snapshot())))["commands"]

    ack = {"status": "done", "results": [{"ticket": 770001, "price": "1.08560"}], "message": ""}
    await accepted(await bridge.call("POST", f"/v1/bridge/commands/{command['id']}/ack", ack))

    assert await expected_trades(core) == [("sig_ack", command["id"], "EURUSD", 770001)]


async def test_the_same_id_again_answers_200_with_the_stored_signal_and_changes_nothing(
    bridge: Bridge, core: Core
) -> None:
    await core.bot_services.signals.set_mode(await trader(core), "auto")
    first = await post(bridge, core, {"id": "sig_once", **EURUSD})
    before = await counts(core)

    again = await post(bridge, core, {"id": "sig_once", **EURUSD, "volume": "5"})

    assert (first.status, again.status) == (201, 200)
    stored = await again.json()
    assert stored["signal"] == (await first.json())["signal"] and stored["created"] is False
    assert stored["accounts"] == 1 and stored["signal"]["volume"] == "0.1"
    assert await counts(core) == before


async def test_two_concurrent_posts_of_one_id_store_one_signal_and_one_order(
    bridge: Bridge, core: Core
) -> None:
    await core.bot_services.signals.set_mode(await trader(core), "auto")

    responses = await asyncio.gather(*(post(bridge, core, {"id": "sig_race", **EURUSD}) for _ in range(4)))

    assert sorted(r.status for r in responses) == [200, 200, 200, 201]
    found = await counts(core)
    assert (found["signals"], found["signal_deliveries"], found["commands"], found["expected_trades"]) == (
        1,
        1,
        1,
        1,
    )


async def test_approve_mode_sends_the_signal_alert_and_queues_nothing(bridge: Bridge, core: Core) -> None:
    response = await post(bridge, core, {"id": "sig_ask", **EURUSD})

    body = await response.json()
    assert (body["accounts"], body["auto"], body["approve"]) == (1, 0, 1)
    assert body["deliveries"]["awaiting_approval"] == 1
    assert await rows(core, "SELECT kind, chat_id FROM outbox") == [("signal", 4242)]
    assert (await counts(core))["commands"] == 0


async def test_mode_off_gets_nothing_and_says_so_in_its_delivery(bridge: Bridge, core: Core) -> None:
    await core.bot_services.signals.set_mode(await trader(core), "off")

    body = await (await post(bridge, core, {"id": "sig_off", **EURUSD})).json()

    assert body["accounts"] == 0 and body["deliveries"]["skipped"] == 1
    assert await rows(core, "SELECT status, reason FROM signal_deliveries") == [("skipped", "mode_off")]
    assert (await counts(core))["outbox"] == 0


async def admin(core: Core) -> User:
    return await core.bot_services.users.resolve(ADMIN_ID, "Admin", None, "en")


@pytest.mark.parametrize("mode", ["auto", "approve"])
@pytest.mark.parametrize("exclusion", ["lock", "liquidate", "halt"])
async def test_locked_liquidated_or_halted_accounts_get_nothing_and_the_refusal_is_recorded(
    bridge: Bridge, core: Core, exclusion: str, mode: str
) -> None:
    await core.bot_services.signals.set_mode(await trader(core), mode)
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot()))
    if exclusion == "halt":
        await core.bot_services.halt.halt(await admin(core), "test")
    else:
        await core.bot_services.admin.act(await admin(core), parse_account_key("5012345"), exclusion)
    before = await counts(core)

    body = await (await post(bridge, core, {"id": f"sig_{exclusion}", **EURUSD})).json()

    reason = {"lock": "locked", "liquidate": "liquidated", "halt": "halted"}[exclusion]
    assert body["accounts"] == 0 and body["deliveries"]["refused"] == 1
    assert await rows(core, "SELECT status, reason FROM signal_deliveries") == [("refused", reason)]
    after = await counts(core)
    assert (after["commands"], after["outbox"], after["expected_trades"]) == (
        before["commands"], before["outbox"], 0,
    )  # fmt: skip


async def test_risk_percent_sizes_each_account_from_its_equity_and_the_stop_distance(
    bridge: Bridge, core: Core
) -> None:
    await core.bot_services.signals.set_mode(await trader(core), "auto")
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot()))  # equity 9,850.50 USD
    signal = {"id": "sig_risk", "symbol": "EURUSD", "side": "buy", "risk_percent": "1",
              "entry": "1.08550", "sl": "1.08050"}  # fmt: skip

    body = await (await post(bridge, core, signal)).json()

    # 98.505 USD at risk over 0.005 × 100,000 = 500 USD a lot: 0.197 lots, rounded down to 0.19
    assert body["auto"] == 1
    assert await rows(core, "SELECT body->>'volume' FROM commands") == [("0.19",)]


@pytest.mark.parametrize(
    ("signal", "snapshot_first", "reason"),
    [
        ({"risk_percent": "1", "entry": "1.08550"}, True, "no_sl"),
        ({"risk_percent": "1", "entry": "1.08550", "sl": "1.08050"}, False, "no_equity"),
        ({"risk_percent": "0.001", "entry": "1.08550", "sl": "1.08050"}, True, "too_small"),
    ],
)
async def test_risk_percent_that_cannot_be_sized_skips_the_account_with_the_reason(
    bridge: Bridge, core: Core, signal: dict[str, str], snapshot_first: bool, reason: str
) -> None:
    await core.bot_services.signals.set_mode(await trader(core), "auto")
    if snapshot_first:
        await accepted(await bridge.call("POST", SNAPSHOT, snapshot()))

    body = await (
        await post(bridge, core, {"id": "sig_sz", "symbol": "EURUSD", "side": "buy", **signal})
    ).json()

    assert body["accounts"] == 0
    assert await rows(core, "SELECT status, reason FROM signal_deliveries") == [("skipped", reason)]
    assert (await counts(core))["commands"] == 0


async def expected_trades(core: Core) -> list[tuple[Any, ...]]:
    """The expected trades of the bridge's account, as the repository gives them to reconciliation."""
    async with unit_of_work_factory(core.engine)() as uow:
        account_id = (await uow.accounts.find(5012345))[0].id
        trades = await uow.signals.expected(account_id)
    return [(t.signal_id, t.command_id, t.symbol, t.ticket) for t in trades]
