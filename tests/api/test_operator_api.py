"""The operator API (PRODUCT.md): bearer-token reads of an account's latest state, through the cache."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import jwt
import pytest
from sqlalchemy import text

from bot.app import Core
from core.api.operator import issue_token
from tests.api.conftest import Bridge
from tests.api.wire import SNAPSHOT, accepted, refusal, snapshot

STATUS = "/v1/accounts/5012345/status"
POSITIONS = "/v1/accounts/5012345/positions"


def operator_token(core: Core) -> str:
    return issue_token(core.token_key, "operator", core.clock())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def operator_get(bridge: Bridge, path: str, headers: dict[str, str]) -> Any:
    return await bridge.client.get(path, headers=headers)


def _claims(core: Core, **changes: Any) -> dict[str, Any]:
    now = int(core.clock().timestamp())
    claims: dict[str, Any] = {
        "role": "operator", "iat": now, "exp": now + 3600, "iss": "tradeguard", "jti": "test-token",
    }  # fmt: skip
    claims.update(changes)
    return claims


BAD_AUTHORIZATION: dict[str, Callable[[Core], dict[str, str]]] = {
    "no-header": lambda core: {},
    "bearer-without-token": lambda core: {"Authorization": "Bearer "},
    "garbage-token": lambda core: bearer("not.a.jwt"),
    "basic-scheme": lambda core: {"Authorization": "Basic b3BlcmF0b3I6c2VjcmV0"},
    "token-signed-with-another-key": lambda core: bearer(issue_token(b"k" * 32, "operator", core.clock())),
    "token-from-another-issuer": lambda core: bearer(
        jwt.encode(_claims(core, iss="someone-else"), core.token_key, algorithm="HS256")
    ),
    "unsigned-alg-none-token": lambda core: bearer(jwt.encode(_claims(core), None, algorithm="none")),
    "token-with-its-payload-edited": lambda core: bearer(_edited_token(core)),
}


def _edited_token(core: Core) -> str:
    header, _, signature = operator_token(core).split(".")
    forged_payload = jwt.utils.base64url_encode(b'{"role":"operator","iss":"tradeguard","iat":1}').decode()
    return f"{header}.{forged_payload}.{signature}"


@pytest.mark.parametrize("authorization", list(BAD_AUTHORIZATION))
async def test_the_operator_api_refuses_a_request_without_a_valid_bearer_token_with_401(
    bridge: Bridge, core: Core, authorization: str
) -> None:
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot()))
    for path in (STATUS, POSITIONS):
        response = await operator_get(bridge, path, BAD_AUTHORIZATION[authorization](core))
        message = await refusal(response, 401, "unauthorized")
        assert "9850" not in message


async def test_a_token_for_a_role_other_than_operator_is_refused_with_403(bridge: Bridge, core: Core) -> None:
    token = jwt.encode(_claims(core, role="trader"), core.token_key, algorithm="HS256")
    await refusal(await operator_get(bridge, STATUS, bearer(token)), 403, "forbidden")


async def test_the_token_is_checked_before_the_login_so_a_bad_login_without_a_token_is_401(
    bridge: Bridge,
) -> None:
    await refusal(await operator_get(bridge, "/v1/accounts/abc/status", {}), 401, "unauthorized")


async def test_status_shows_the_latest_snapshots_numbers_as_strings(bridge: Bridge, core: Core) -> None:
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot()))
    status = await accepted(await operator_get(bridge, STATUS, bearer(operator_token(core))))
    assert (status["login"], status["server"], status["currency"]) == (5012345, "Broker-Live", "USD")
    money = ("balance", "equity", "floating_pnl", "peak_equity", "drawdown_percent", "margin_level_percent")
    assert all(isinstance(status[name], str) for name in money), status
    assert Decimal(status["balance"]) == Decimal("10000.00")
    assert Decimal(status["equity"]) == Decimal("9850.50")
    assert Decimal(status["floating_pnl"]) == Decimal("-149.50")
    assert Decimal(status["peak_equity"]) == Decimal("9850.50")
    assert Decimal(status["drawdown_percent"]) == 0
    assert Decimal(status["margin_level_percent"]) == Decimal("8208.75")  # 9850.50 / 120.00 * 100
    assert status["last_snapshot_at"] is not None


async def test_status_of_a_linked_account_that_never_reported_has_no_numbers_yet(
    bridge: Bridge, core: Core
) -> None:
    status = await accepted(await operator_get(bridge, STATUS, bearer(operator_token(core))))
    assert status["login"] == 5012345
    assert status["equity"] is None
    assert status["last_snapshot_at"] is None


async def test_positions_lists_the_open_positions_of_the_latest_snapshot(bridge: Bridge, core: Core) -> None:
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot()))
    answer = await accepted(await operator_get(bridge, POSITIONS, bearer(operator_token(core))))
    assert answer["login"] == 5012345
    [position] = answer["positions"]
    assert (position["ticket"], position["symbol"], position["side"]) == (123456, "EURUSD", "buy")
    assert (position["volume"], position["open_price"], position["profit"]) == ("0.10", "1.08550", "-15.00")


@pytest.mark.parametrize("path", ["/v1/accounts/7777777/status", "/v1/accounts/7777777/positions"])
async def test_an_unknown_login_is_404(bridge: Bridge, core: Core, path: str) -> None:
    await refusal(await operator_get(bridge, path, bearer(operator_token(core))), 404, "not_found")


@pytest.mark.parametrize(
    "login",
    [
        "abc",
        "0",
        "-5",
        "1.5",
        "99999999999999999999",
        "%D9%A3",
        "%EF%BC%95",
        "5012345%C2%B2",
        "0005012345",
        "+5",
    ],
)
async def test_a_login_that_is_not_a_positive_integer_is_400(bridge: Bridge, core: Core, login: str) -> None:
    response = await operator_get(bridge, f"/v1/accounts/{login}/status", bearer(operator_token(core)))
    message = await refusal(response, 400, "invalid_payload")
    assert message.startswith("login:")


async def test_status_shows_a_newly_accepted_snapshot_at_once_even_right_after_a_cached_read(
    bridge: Bridge, core: Core
) -> None:
    token = bearer(operator_token(core))
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=1)))
    first = await accepted(await operator_get(bridge, STATUS, token))
    again = await accepted(await operator_get(bridge, STATUS, token))  # now served from the cache
    assert Decimal(first["equity"]) == Decimal(again["equity"]) == Decimal("9850.50")
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=2, equity="9700.25")))
    after = await accepted(await operator_get(bridge, STATUS, token))
    assert Decimal(after["equity"]) == Decimal("9700.25")
    positions = await accepted(await operator_get(bridge, POSITIONS, token))
    assert len(positions["positions"]) == 1


async def test_status_is_served_from_the_cache_within_its_ttl(bridge: Bridge, core: Core) -> None:
    """Proof the cache is in the path (so the test above proves invalidation, not a cache miss)."""
    token = bearer(operator_token(core))
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=1)))
    await accepted(await operator_get(bridge, STATUS, token))
    async with core.engine.begin() as connection:  # a change behind the service's back
        await connection.execute(text("UPDATE account_state SET equity = 1"))
    cached = await accepted(await operator_get(bridge, STATUS, token))
    assert Decimal(cached["equity"]) == Decimal("9850.50")
