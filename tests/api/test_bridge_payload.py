"""BRIDGE.md, POST /v1/bridge/snapshot: what a correctly signed body must look like.

A body that is not JSON is 400 `invalid_json`; JSON that breaks the contract is 400
`invalid_payload` naming the first bad field; either way nothing is stored, and no value an EA
can send makes the server answer 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.app import Core
from tests.api.conftest import Bridge
from tests.api.helpers import encode
from tests.api.state import stored
from tests.api.wire import (
    MAX_BODY,
    SNAPSHOT,
    accepted,
    compact,
    refusal,
    second_device,
    snapshot,
    with_literals,
)

Body = dict[str, Any]


def position(ticket: int) -> Body:
    return {
        "ticket": ticket,
        "symbol": "EURUSD",
        "side": "buy",
        "volume": "0.1",
        "open_price": "1.1",
        "open_time": 1795816800,
        "price": "1.1",
        "profit": "0",
    }


def deal(ticket: int) -> Body:
    return {
        "ticket": ticket,
        "type": "buy",
        "entry": "in",
        "reason": "expert",
        "volume": "0.1",
        "price": "1.1",
        "time": 1795816800,
        "profit": "0",
    }


def quote(index: int) -> Body:
    return {"symbol": f"SYM{index}", "bid": "1.1", "ask": "1.2", "time": 1795816800}


# --- 400 invalid_json --------------------------------------------------------------------------

NOT_JSON: dict[str, bytes] = {
    "plain-text": b"not json",
    "empty-body": b"",
    "truncated": encode(snapshot())[:120],
    "nan-literal": with_literals(snapshot(equity="@equity"), equity="NaN"),
    "infinity-literal": with_literals(snapshot(equity="@equity"), equity="Infinity"),
    "minus-infinity-literal": with_literals(snapshot(equity="@equity"), equity="-Infinity"),
    "invalid-utf8": b'{"seq": 1, "time": "\xff\xfe"}',
    "integer-of-5000-digits": b'{"seq": ' + b"1" * 5000 + b"}",
    "nested-100000-deep": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("raw", list(NOT_JSON.values()), ids=list(NOT_JSON))
async def test_a_signed_body_that_is_not_json_is_refused_with_400_invalid_json_and_stores_nothing(
    bridge: Bridge, core: Core, raw: bytes
) -> None:
    before = await stored(core)
    await refusal(await bridge.call("POST", SNAPSHOT, raw=raw), 400, "invalid_json")
    assert await stored(core) == before


# --- 400 invalid_payload: the message names the first bad field --------------------------------

Mutation = Callable[[Body], Any]


def setting(*path: str | int, value: Any) -> Mutation:
    def mutate(body: Body) -> None:
        target: Any = body
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def dropping(key: str) -> Mutation:
    def mutate(body: Body) -> None:
        del body[key]

    return mutate


def replacing(value: Any) -> Mutation:
    return lambda body: value


def five_positions_two_bad(body: Body) -> None:
    body["positions"] = [position(ticket) for ticket in range(1, 6)]
    body["positions"][3]["volume"] = "-0.10"
    body["positions"][4]["price"] = "cheap"


# (id, mutation, raw JSON literals, the field named, the exact text after "field: " or None)
INVALID: list[tuple[str, Mutation, dict[str, str], str, str | None]] = [
    ("seq-as-a-word", setting("seq", value="abc"), {}, "seq", None),
    ("seq-negative", setting("seq", value=-1), {}, "seq", "must be >= 0"),
    ("seq-fractional", setting("seq", value="@seq"), {"seq": "1.5"}, "seq", None),
    ("seq-beyond-int64", setting("seq", value=2**63), {}, "seq", f"must be <= {2**63 - 1}"),
    (
        "equity-a-json-boolean",
        setting("account", "equity", value=True),
        {},
        "account.equity",
        "must be a decimal string or number",
    ),
    (
        "equity-a-word",
        setting("account", "equity", value="lots"),
        {},
        "account.equity",
        "must be a decimal number",
    ),
    ("equity-nan-string", setting("account", "equity", value="NaN"), {}, "account.equity", "must be finite"),
    (
        "equity-infinity-string",
        setting("account", "equity", value="-Infinity"),
        {},
        "account.equity",
        "must be finite",
    ),
    (
        "equity-beyond-the-store",
        setting("account", "equity", value="1e20"),
        {},
        "account.equity",
        "out of range (at most 16 digits before the point)",
    ),
    (
        "equity-a-huge-exponent",
        setting("account", "equity", value="@equity"),
        {"equity": "1e999999"},
        "account.equity",
        "out of range (at most 16 digits before the point)",
    ),
    (
        "equity-a-tiny-exponent",
        setting("account", "equity", value="1e-999999"),
        {},
        "account.equity",
        "at most 100 digits after the point",
    ),
    ("margin-negative", setting("account", "margin", value="-1"), {}, "account.margin", "must be >= 0"),
    ("leverage-zero", setting("account", "leverage", value=0), {}, "account.leverage", "must be >= 1"),
    ("login-as-a-string", setting("account", "login", value="5012345"), {}, "account.login", None),
    (
        "login-not-the-linked-one",
        setting("account", "login", value=5000001),
        {},
        "account.login",
        "5000001 is not the linked account 5012345",
    ),
    (
        "server-not-the-linked-one",
        setting("account", "server", value="Broker-Demo"),
        {},
        "account.server",
        None,
    ),
    (
        "currency-with-a-nul",
        setting("account", "currency", value="US\x00D"),
        {},
        "account.currency",
        "must not contain NUL characters",
    ),
    (
        "volume-negative",
        setting("positions", 0, "volume", value="-0.10"),
        {},
        "positions[0].volume",
        "must be > 0",
    ),
    (
        "volume-a-negative-json-number",
        setting("positions", 0, "volume", value="@volume"),
        {"volume": "-0.10"},
        "positions[0].volume",
        "must be > 0",
    ),
    (
        "volume-zero",
        setting("positions", 0, "volume", value="0.00"),
        {},
        "positions[0].volume",
        "must be > 0",
    ),
    ("side-long", setting("positions", 0, "side", value="long"), {}, "positions[0].side", None),
    ("symbol-empty", setting("positions", 0, "symbol", value=""), {}, "positions[0].symbol", None),
    ("symbol-33-chars", setting("positions", 0, "symbol", value="X" * 33), {}, "positions[0].symbol", None),
    (
        "comment-with-a-nul",
        setting("positions", 0, "comment", value="tg:\x00"),
        {},
        "positions[0].comment",
        "must not contain NUL characters",
    ),
    (
        "ticket-negative",
        setting("positions", 0, "ticket", value=-5),
        {},
        "positions[0].ticket",
        "must be >= 0",
    ),
    (
        "open-time-before-year-1-in-utc",
        setting("positions", 0, "open_time", value="0001-01-01T00:00:00+01:00"),
        {},
        "positions[0].open_time",
        "out of range",
    ),
    (
        "first-bad-field-of-several",
        five_positions_two_bad,
        {},
        "positions[3].volume",
        "must be > 0",
    ),
    (
        "time-not-iso-nor-unix",
        setting("time", value="yesterday"),
        {},
        "time",
        "must be ISO 8601 UTC or Unix seconds",
    ),
    ("time-without-a-zone", setting("time", value="2026-11-27T21:00:00"), {}, "time", "must say UTC (Z)"),
    ("time-a-json-boolean", setting("time", value=True), {}, "time", "must be ISO 8601 UTC or Unix seconds"),
    ("time-beyond-year-9999", setting("time", value=10**20), {}, "time", "Unix seconds out of range"),
    ("deal-type-deposit", setting("deals", 0, "type", value="deposit"), {}, "deals[0].type", None),
    ("deal-entry-unknown", setting("deals", 0, "entry", value="half"), {}, "deals[0].entry", None),
    ("deal-reason-unknown", setting("deals", 0, "reason", value="robot"), {}, "deals[0].reason", None),
    (
        "deal-ticket-beyond-int64",
        setting("deals", 0, "ticket", value=2**64),
        {},
        "deals[0].ticket",
        f"must be <= {2**63 - 1}",
    ),
    ("deal-magic-negative", setting("deals", 0, "magic", value=-1), {}, "deals[0].magic", "must be >= 0"),
    ("quote-bid-zero", setting("quotes", 0, "bid", value="0"), {}, "quotes[0].bid", "must be > 0"),
    ("account-missing", dropping("account"), {}, "account", "is required"),
    ("positions-missing", dropping("positions"), {}, "positions", "is required"),
    ("body-a-json-array", replacing([1, 2, 3]), {}, "body", "must be a JSON object"),
    ("body-a-json-string", replacing("snapshot"), {}, "body", "must be a JSON object"),
    (
        "501-positions",
        setting("positions", value=[position(t) for t in range(1, 502)]),
        {},
        "positions",
        "at most 500 items",
    ),
    (
        "1001-deals",
        setting("deals", value=[deal(t) for t in range(1, 1002)]),
        {},
        "deals",
        "at most 1000 items",
    ),
    (
        "201-quotes",
        setting("quotes", value=[quote(i) for i in range(201)]),
        {},
        "quotes",
        "at most 200 items",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "literals", "field", "detail"),
    [case[1:] for case in INVALID],
    ids=[case[0] for case in INVALID],
)
async def test_a_snapshot_breaking_the_contract_is_refused_with_400_naming_the_first_bad_field(
    bridge: Bridge,
    core: Core,
    mutate: Mutation,
    literals: dict[str, str],
    field: str,
    detail: str | None,
) -> None:
    body = snapshot()
    replaced = mutate(body)  # mutates in place, or returns a whole new body
    sent = body if replaced is None else replaced
    raw = with_literals(sent, **literals) if literals else compact(sent)
    assert len(raw) <= MAX_BODY
    before = await stored(core)
    message = await refusal(await bridge.call("POST", SNAPSHOT, raw=raw), 400, "invalid_payload")
    named, _, text = message.partition(": ")
    assert named == field, message
    if detail is not None:
        assert text == detail, message
    assert await stored(core) == before


async def test_a_device_cannot_report_for_another_linked_account(bridge: Bridge, core: Core) -> None:
    other = await second_device(core)
    before = await stored(core)
    response = await bridge.call("POST", SNAPSHOT, snapshot(login=other.login))
    message = await refusal(response, 400, "invalid_payload")
    assert message.startswith("account.login:")
    assert await stored(core) == before


async def test_a_snapshot_at_every_limit_at_once_is_accepted_and_stores_all_1000_deals(
    bridge: Bridge, core: Core
) -> None:
    body = snapshot()
    body["positions"] = [position(t) for t in range(1, 501)]
    body["deals"] = [deal(t) for t in range(1, 1001)]
    body["quotes"] = [quote(i) for i in range(200)]
    raw = compact(body)
    assert len(raw) <= MAX_BODY
    await accepted(await bridge.call("POST", SNAPSHOT, raw=raw))
    after = await stored(core)
    assert len(after.deal_tickets) == 1000
    assert len(after.only_state.snapshot["positions"]) == 500
    assert len(after.only_state.snapshot["quotes"]) == 200


async def test_fields_the_server_does_not_know_are_ignored_so_newer_clients_keep_working(
    bridge: Bridge, core: Core
) -> None:
    body = snapshot()
    body["client_version"] = "2.0"
    body["account"]["name"] = "Ann"
    body["positions"][0]["external_id"] = "x-1"
    await accepted(await bridge.call("POST", SNAPSHOT, body))
    assert (await stored(core)).only_state.last_seq == 1
