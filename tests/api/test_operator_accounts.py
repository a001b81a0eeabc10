"""The operator API names an account by login and server: `<login>` when only one server has it,
`<login>@<server>` otherwise, and `?owner=<telegram id>` when two users linked the same pair."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

import pytest

from bot.app import Core
from tests.api.conftest import Bridge, link_device
from tests.api.test_operator_api import bearer, operator_get, operator_token
from tests.api.wire import SNAPSHOT, accepted, refusal, snapshot

LOGIN = 5012345


async def link_on(core: Core, telegram_id: int, server: str) -> None:
    user = await core.bot_services.users.resolve(telegram_id, "Someone", None, "en")
    await core.bot_services.links.link(user, LOGIN, server)


async def test_login_at_server_names_one_account(bridge: Bridge, core: Core) -> None:
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot()))
    await link_on(core, 5151, "Other Broker")
    token = bearer(operator_token(core))

    status = await accepted(await operator_get(bridge, f"/v1/accounts/{LOGIN}@Broker-Live/status", token))
    other = await accepted(
        await operator_get(bridge, f"/v1/accounts/{LOGIN}@{quote('Other Broker')}/status", token)
    )

    assert (status["server"], Decimal(status["equity"])) == ("Broker-Live", Decimal("9850.50"))
    assert (other["server"], other["equity"]) == ("Other Broker", None)


async def test_a_login_on_two_servers_alone_is_ambiguous_and_lists_both(bridge: Bridge, core: Core) -> None:
    await link_on(core, 5151, "Alpha")

    response = await operator_get(bridge, f"/v1/accounts/{LOGIN}/positions", bearer(operator_token(core)))

    message = await refusal(response, 409, "ambiguous_account")
    assert f"{LOGIN}@Alpha" in message and f"{LOGIN}@Broker-Live" in message


async def test_a_pair_linked_by_two_users_is_picked_by_owner(bridge: Bridge, core: Core) -> None:
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot()))
    squatter = await link_device(core, telegram_id=6666)
    token = bearer(operator_token(core))
    path = f"/v1/accounts/{LOGIN}@Broker-Live/status"

    both = await refusal(await operator_get(bridge, path, token), 409, "ambiguous_account")
    owner = await accepted(await operator_get(bridge, f"{path}?owner={bridge.device.telegram_id}", token))
    other = await accepted(await operator_get(bridge, f"{path}?owner={squatter.telegram_id}", token))

    assert "owner=4242" in both and "owner=6666" in both
    assert (Decimal(owner["equity"]), owner["shared"]) == (Decimal("9850.50"), True)
    assert (other["equity"], other["shared"]) == (None, True)


@pytest.mark.parametrize("owner", ["abc", "٣", "0", "-1", "9" * 25])
async def test_a_malformed_owner_is_400(bridge: Bridge, core: Core, owner: str) -> None:
    path = f"/v1/accounts/{LOGIN}/status?owner={quote(owner)}"
    message = await refusal(
        await operator_get(bridge, path, bearer(operator_token(core))), 400, "invalid_payload"
    )
    assert message.startswith("owner:")
