"""GET /v1/accounts/{login}/reconciliation: an operator sees an account's latest pass and its open
divergences (decimals as strings), through the view cache, which a pass that changes them invalidates;
no token, a bad login, an unknown one and an ambiguous one are refused with nothing changed."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from bot.app import Core
from core.domain.codec import encode_time
from tests.api.conftest import Bridge
from tests.api.test_operator_api import bearer, operator_get, operator_token
from tests.api.wire import SNAPSHOT, accepted, refusal, snapshot

LOGIN = 5012345
PATH = f"/v1/accounts/{LOGIN}/reconciliation"


def manual_snapshot(opened: datetime) -> dict[str, object]:
    """The trader's own trade (no tg: comment, magic 0), opened at `opened` (after the account was linked)."""
    body = snapshot()
    body["positions"][0] |= {"comment": "", "magic": 0, "open_time": encode_time(opened)}
    body["deals"][0] |= {"comment": "", "magic": 0, "reason": "mobile", "time": encode_time(opened)}
    return body


async def test_the_reconciliation_shows_the_open_divergences_once_a_pass_found_them(
    bridge: Bridge, core: Core
) -> None:
    token = bearer(operator_token(core))
    before = await accepted(await operator_get(bridge, PATH, token))  # cached: never reconciled
    bridge.clock.advance(600)
    opened = bridge.clock() - timedelta(minutes=5)
    # a new deal: the bridge passes the account once the snapshot is committed, and drops the cached view
    await accepted(await bridge.call("POST", SNAPSHOT, manual_snapshot(opened)))

    after = await accepted(await operator_get(bridge, PATH, token))
    hits = core.bot_services.queries.cache.counts.hits["reconciliation"]
    again = await accepted(await operator_get(bridge, PATH, token))  # from the cache this time

    assert core.bot_services.queries.cache.counts.hits["reconciliation"] == hits + 1
    assert again == after
    assert await core.reconciliation.run_once() == 0  # nothing left for the sweep

    assert (before["reconciled_at"], before["open"], before["divergences"]) == (None, 0, [])
    assert (after["login"], after["server"], after["open"], after["critical"]) == (LOGIN, "Broker-Live", 1, 0)
    assert after["counts"]["manual_position"] == 1 and after["counts"]["slippage"] == 0
    [found] = after["divergences"]
    assert (found["kind"], found["severity"], found["ticket"], found["signal_id"]) == (
        "manual_position", "info", 123456, None
    )  # fmt: skip
    assert found["id"].startswith("div_") and after["reconciled_at"] is not None
    assert Decimal(found["evidence"]["actual_volume"]) == Decimal("0.10")
    assert isinstance(found["evidence"]["actual_price"], str)


async def test_reconciliation_without_a_token_is_401(bridge: Bridge) -> None:
    await refusal(await bridge.client.get(PATH), 401, "unauthorized")


async def test_reconciliation_of_an_unknown_login_is_404(bridge: Bridge, core: Core) -> None:
    response = await operator_get(bridge, "/v1/accounts/5099999/reconciliation", bearer(operator_token(core)))
    await refusal(response, 404, "not_found")


async def test_reconciliation_of_a_malformed_login_is_400(bridge: Bridge, core: Core) -> None:
    response = await operator_get(
        bridge, "/v1/accounts/05012345/reconciliation", bearer(operator_token(core))
    )
    message = await refusal(response, 400, "invalid_payload")
    assert message.startswith("login")


async def test_reconciliation_of_a_login_on_two_servers_is_ambiguous(bridge: Bridge, core: Core) -> None:
    user = await core.bot_services.users.resolve(5151, "Bob", None, "en")
    await core.bot_services.links.link(user, LOGIN, "Alpha")

    message = await refusal(
        await operator_get(bridge, PATH, bearer(operator_token(core))), 409, "ambiguous_account"
    )
    one = await accepted(
        await operator_get(bridge, f"/v1/accounts/{LOGIN}@Alpha/reconciliation", bearer(operator_token(core)))
    )

    assert f"{LOGIN}@Alpha" in message and f"{LOGIN}@Broker-Live" in message
    assert (one["server"], one["open"]) == ("Alpha", 0)
