"""POST /v1/payments/events (operator token): 201 for a new event, 200 with the stored one for the same
event again, 409 for another body under a known external_id; every bad field refused with nothing stored;
401 without a token; a payer the bot has not met is stored with no user."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from bot.app import Core
from tests.api.conftest import Bridge
from tests.api.test_signals_api import bearer
from tests.api.wire import refusal

EVENTS = "/v1/payments/events"
PAYER = 4242  # the bridge fixture's user
EVENT: dict[str, Any] = {
    "external_id": "inv_2026-12_0001",
    "telegram_id": PAYER,
    "type": "paid",
    "amount": "9.99",
    "currency": "USD",
    "period_start": "2026-12-01T00:00:00Z",
    "period_end": "2026-12-31T00:00:00Z",
}


async def post(bridge: Bridge, core: Core, body: Any, headers: dict[str, str] | None = None) -> Any:
    return await bridge.client.post(EVENTS, json=body, headers=bearer(core) if headers is None else headers)


async def stored(core: Core) -> list[tuple[Any, ...]]:
    async with core.engine.connect() as connection:
        found = await connection.execute(
            text("SELECT source, external_id, type, amount, currency, user_id IS NULL FROM payments")
        )
        return [tuple(row) for row in found]


async def test_a_new_event_is_created_then_the_same_event_answers_the_stored_one(
    bridge: Bridge, core: Core
) -> None:
    first = await post(bridge, core, EVENT)
    again = await post(bridge, core, EVENT | {"amount": 9.99})

    assert first.status == 201 and again.status == 200
    created, replayed = await first.json(), await again.json()
    assert created["created"] is True and replayed["created"] is False
    assert replayed["payment"] == created["payment"]
    assert created["payment"]["amount"] == "9.99" and created["payment"]["user_id"] is not None
    assert await stored(core) == [("external", "inv_2026-12_0001", "paid", Decimal("9.99"), "USD", False)]


async def test_another_body_under_a_known_external_id_is_a_conflict(bridge: Bridge, core: Core) -> None:
    await post(bridge, core, EVENT)

    answer = await post(bridge, core, EVENT | {"type": "renewed"})

    await refusal(answer, 409, "conflict")
    assert [row[2] for row in await stored(core)] == ["paid"]


async def test_a_payer_the_bot_has_not_met_is_stored_without_a_user(bridge: Bridge, core: Core) -> None:
    answer = await post(bridge, core, EVENT | {"telegram_id": 777000111, "email": "Ann.Lee+x@gmail.com"})

    assert answer.status == 201 and (await answer.json())["payment"]["user_id"] is None
    assert [row[5] for row in await stored(core)] == [True]


async def test_without_a_token_it_is_401_and_nothing_is_stored(bridge: Bridge, core: Core) -> None:
    await refusal(await post(bridge, core, EVENT, headers={}), 401, "unauthorized")

    assert await stored(core) == []


BAD: dict[str, tuple[dict[str, Any], str]] = {
    "unknown field": (EVENT | {"plan": "month"}, "plan"),
    "missing external_id": ({k: v for k, v in EVENT.items() if k != "external_id"}, "external_id"),
    "empty external_id": (EVENT | {"external_id": ""}, "external_id"),
    "long external_id": (EVENT | {"external_id": "x" * 129}, "external_id"),
    "unsafe external_id": (EVENT | {"external_id": "inv 1;drop"}, "external_id"),
    "telegram_id string": (EVENT | {"telegram_id": "4242"}, "telegram_id"),
    "telegram_id zero": (EVENT | {"telegram_id": 0}, "telegram_id"),
    "unknown type": (EVENT | {"type": "gift"}, "type"),
    "negative amount": (EVENT | {"amount": "-1"}, "amount"),
    "amount not a number": (EVENT | {"amount": "ten"}, "amount"),
    "amount too fine": (EVENT | {"amount": "9.999"}, "amount"),
    "fractional Stars": (EVENT | {"amount": "1.5", "currency": "XTR"}, "amount"),
    "lower-case currency": (EVENT | {"currency": "usd"}, "currency"),
    "unknown currency": (EVENT | {"currency": "ABC"}, "currency"),
    "bad period_start": (EVENT | {"period_start": "yesterday"}, "period_start"),
    "naive period_end": (EVENT | {"period_end": "2026-12-31T00:00:00"}, "period_end"),
    "period backwards": (EVENT | {"period_end": "2026-11-01T00:00:00Z"}, "period_end"),
    "bad email": (EVENT | {"email": "not an email"}, "email"),
    "empty fingerprint": (EVENT | {"payer_fingerprint": ""}, "payer_fingerprint"),
    "not an object": ([EVENT], "body"),
}


@pytest.mark.parametrize("case", sorted(BAD))
async def test_each_bad_field_is_refused_and_nothing_is_stored(bridge: Bridge, core: Core, case: str) -> None:
    body, field = BAD[case]

    message = await refusal(await post(bridge, core, body), 400, "invalid_payload")

    assert field in message
    assert await stored(core) == []


async def test_a_body_that_is_not_json_is_refused(bridge: Bridge, core: Core) -> None:
    answer = await bridge.client.post(EVENTS, data=b"{not json", headers=bearer(core))

    await refusal(answer, 400, "invalid_json")
    assert await stored(core) == []


async def test_stars_and_other_currencies_keep_their_own_digits(bridge: Bridge, core: Core) -> None:
    stars = await post(bridge, core, EVENT | {"external_id": "s1", "amount": 500, "currency": "XTR"})
    yen = await post(bridge, core, EVENT | {"external_id": "y1", "amount": "1200", "currency": "JPY"})
    dinar = await post(bridge, core, EVENT | {"external_id": "k1", "amount": "1.250", "currency": "KWD"})

    assert [stars.status, yen.status, dinar.status] == [201, 201, 201]
