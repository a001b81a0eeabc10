"""BRIDGE.md, POST /v1/bridge/commands/{id}/ack: a command id that cannot be one (a NUL, another control
or non-ASCII character, bytes that are not UTF-8, thousands of characters) is an unknown command, answered
with the documented body after authentication, and changes nothing. Sent byte for byte to the real server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.app import Core
from tests.api.conftest import Bridge
from tests.api.served import RawAnswer, raw_request, served_bridge
from tests.api.state import stored
from tests.api.wire import account_id_of, add_command, compact, headers_for
from tests.conftest import FakeClock

ACK = compact({"status": "done", "results": [], "message": ""})


@pytest.fixture
async def bridge(core: Core, clock: FakeClock) -> AsyncIterator[Bridge]:
    async with served_bridge(core, clock) as served:
        account_id = await account_id_of(core, served.device.login)
        await add_command(core, account_id, "cmd_pending", clock(), clock() + timedelta(minutes=5))
        yield served


async def signed_ack(bridge: Bridge, target: bytes, **sign: str) -> RawAnswer:
    path = target.decode("utf-8", "surrogateescape")  # what the server sees as the path, for the signature
    return await raw_request(bridge, "POST", target, headers_for(bridge, "POST", path, ACK, **sign), ACK)


def ack_target(command_id: bytes) -> bytes:
    return b"/v1/bridge/commands/" + command_id + b"/ack"


def assert_documented(answer: RawAnswer, status: int, code: str) -> None:
    assert answer.status == status, answer
    assert answer.headers["Content-Type"].startswith("application/json"), answer
    body = answer.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body


@pytest.mark.parametrize(
    "command_id",
    [
        b"%00",
        b"cmd_pending%00",
        b"cmd_%0A",
        b"cmd_%7F",
        b"cmd_%C3%A9",
        b"cmd_%D9%A3",  # ARABIC-INDIC DIGIT THREE
        b"cmd_%FF%FE",  # not UTF-8
        b"cmd_pending%20",
        b"cmd_" + b"a" * 37,  # one over the column
        b"cmd_" + b"a" * 8_000,  # as long as the request line allows
        b"%63md_pending%2F",
    ],
    ids=[
        "nul",
        "nul-after-a-real-id",
        "newline",
        "delete",
        "non-ascii-letter",
        "non-ascii-digit",
        "not-utf-8",
        "trailing-space",
        "41-characters",
        "8000-characters",
        "encoded-slash",
    ],
)
async def test_an_ack_whose_command_id_cannot_exist_is_an_unknown_command_and_changes_nothing(
    bridge: Bridge, core: Core, command_id: bytes
) -> None:
    before = await stored(core)
    assert_documented(await signed_ack(bridge, ack_target(command_id)), 404, "unknown_command")
    after = await stored(core)
    assert after == before
    assert after.command("cmd_pending").status == "pending"


async def test_a_malformed_command_id_is_checked_only_after_the_signature(bridge: Bridge, core: Core) -> None:
    answer = await signed_ack(bridge, ack_target(b"cmd_%00"), secret_hex="00" * 32)
    assert_documented(answer, 401, "bad_signature")


async def test_the_pending_command_itself_is_still_acknowledged(bridge: Bridge, core: Core) -> None:
    answer = await signed_ack(bridge, ack_target(b"cmd_pending"))
    assert answer.status == 200 and answer.json() == {"ok": True}
    assert (await stored(core)).command("cmd_pending").status == "done"


@pytest.mark.parametrize(
    "command_id",
    [b"cmd_\x00", b"cmd_\xc3\xa9", b"cmd_" + b"a" * 10_000],
    ids=["raw-nul", "raw-utf-8", "10000-characters"],
)
async def test_an_ack_path_the_http_parser_refuses_is_a_400_that_changes_nothing(
    bridge: Bridge, core: Core, command_id: bytes
) -> None:
    before = await stored(core)
    answer = await signed_ack(bridge, ack_target(command_id))
    assert answer.status == 400, answer
    assert await stored(core) == before


@pytest.mark.parametrize(
    "command_id",
    [b"cmd_\x00", b"cmd_\xc3\xa9", b"cmd_" + b"a" * 10_000],
    ids=["raw-nul", "raw-utf-8", "10000-characters"],
)
async def test_an_ack_path_the_http_parser_refuses_has_the_documented_error_body(
    bridge: Bridge, command_id: bytes
) -> None:
    answer = await signed_ack(bridge, ack_target(command_id))
    assert answer.status == 400, answer
    assert answer.headers["Content-Type"].startswith("application/json"), answer
    assert set(answer.json()) == {"error"}
