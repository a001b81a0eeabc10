"""Path parameters fuzzed with Hypothesis's text (NUL and every other control character, non-ASCII
digits, unpaired-looking escapes, very long strings), sent percent-encoded and signed to the real server:
a command id or a login that names nothing is a documented 4xx, never a 500, and changes nothing.

schemathesis (test_fuzz_api.py) derives its invalid path values from the description's patterns and
rarely tries a NUL; these properties aim at the characters that broke the server before."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import Core
from core.api.operator import issue_token
from tests.api.conftest import Bridge
from tests.api.served import address, served_bridge
from tests.api.state import stored
from tests.api.test_fuzz_api import SignEachRequest
from tests.conftest import FakeClock

FUZZ = settings(
    max_examples=200, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck)
)
ANY_TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=80) | st.text(
    st.characters(max_codepoint=0x7F), min_size=1, max_size=2_000
)
NAMED_BUT_NOT_FOUND = {(400, "invalid_payload"), (404, "not_found"), (409, "ambiguous_account")}
DIGITS_OF_ANY_SCRIPT = st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=30)


@pytest.fixture
async def bridge(core: Core, clock: FakeClock) -> AsyncIterator[Bridge]:
    async with served_bridge(core, clock, per_device_per_second=10_000) as served:
        yield served


def documented(response: requests.Response) -> tuple[int, str]:
    body: Any = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["message"], body
    return response.status_code, body["error"]["code"]


def unroutable(segment: str) -> bool:
    """aiohttp's router matches a `{name}` segment with `[^{}/]+` (an encoded `/` is fine): a decoded brace
    matches no route, answered 404 `not_found` by the app's error middleware."""
    return any(character in segment for character in "{}")


def run(bridge: Bridge, token: str, check: Any) -> None:
    host, port = address(bridge)
    with requests.Session() as session:
        session.auth = SignEachRequest(bridge, token)
        check(f"http://{host}:{port}", session)


async def test_an_ack_for_any_command_id_that_names_no_command_is_a_404_that_changes_nothing(
    bridge: Bridge, core: Core, clock: FakeClock
) -> None:
    def check(base: str, session: requests.Session) -> None:
        @FUZZ
        @given(command_id=ANY_TEXT)
        def acked(command_id: str) -> None:
            url = f"{base}/v1/bridge/commands/{quote(command_id, safe='')}/ack"
            response = session.post(url, data=b'{"status": "done"}', timeout=10)
            expected = "not_found" if unroutable(command_id) else "unknown_command"
            assert documented(response) == (404, expected), (command_id, response.text)

        acked()

    before = await stored(core)
    await asyncio.to_thread(run, bridge, issue_token(core.token_key, "operator", clock()), check)
    assert await stored(core) == before


async def test_an_operator_url_whose_login_is_not_ascii_digits_is_a_400_and_never_a_server_error(
    bridge: Bridge, core: Core, clock: FakeClock
) -> None:
    def check(base: str, session: requests.Session) -> None:
        @FUZZ
        @given(login=ANY_TEXT | DIGITS_OF_ANY_SCRIPT, view=st.sampled_from(["status", "positions"]))
        def viewed(login: str, view: str) -> None:
            response = session.get(f"{base}/v1/accounts/{quote(login, safe='')}/{view}", timeout=10)
            status_and_code = documented(response)
            if unroutable(login) or (re.fullmatch(r"[1-9][0-9]{0,18}", login) and int(login) < 2**63):
                assert status_and_code == (404, "not_found"), (login, response.text)  # no such account
            elif "@" in login or re.fullmatch(r"0[0-9]*", login):  # <login>@<server>; a leading zero
                assert status_and_code in NAMED_BUT_NOT_FOUND, (login, response.text)
            else:
                assert status_and_code == (400, "invalid_payload"), (login, response.text)

        viewed()

    await asyncio.to_thread(run, bridge, issue_token(core.token_key, "operator", clock()), check)
