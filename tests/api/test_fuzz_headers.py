"""BRIDGE.md's authentication headers fuzzed with Hypothesis: whatever a client puts in X-TG-Device,
X-TG-Timestamp, X-TG-Nonce and X-TG-Signature (any Latin-1 text the HTTP parser lets through, very long
values, the real device with a broken signature), the answer is 401 or 409 with the documented body,
never a 500, and nothing is stored. (test_fuzz_api.py signs every request, so it never gets here.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import Core
from core.bridge.signing import SIGNED_HEADERS
from tests.api.conftest import Bridge
from tests.api.served import address, served_bridge
from tests.api.state import stored
from tests.api.wire import COMMANDS, PING, SNAPSHOT, compact, headers_for, snapshot
from tests.conftest import FakeClock

# what reaches the app as a header value: Latin-1 without control characters (aiohttp's parser answers
# those itself, before any handler: see test_ack_command_id.py's parser refusals), no leading space
HEADER_VALUE = st.text(st.characters(codec="latin-1", exclude_categories=["Cc"]), max_size=300).filter(
    lambda value: not value[:1].isspace()
) | st.text("0123456789abcdef", min_size=8_000, max_size=8_000)
AUTH_ERRORS = {
    401: {"missing_header", "unknown_device", "stale_timestamp", "bad_signature"},
    409: {"replayed_nonce"},
}


@pytest.fixture
async def bridge(core: Core, clock: FakeClock) -> AsyncIterator[Bridge]:
    async with served_bridge(core, clock, per_device_per_second=10_000) as served:
        yield served


def fuzz(bridge: Bridge) -> None:
    host, port = address(bridge)
    body = compact(snapshot(seq=5))

    @settings(
        max_examples=300,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        replaced=st.dictionaries(st.sampled_from(SIGNED_HEADERS), HEADER_VALUE, min_size=1),
        route=st.sampled_from([("POST", SNAPSHOT), ("GET", COMMANDS), ("GET", PING)]),
    )
    def refused(replaced: dict[str, str], route: tuple[str, str]) -> None:
        method, path = route
        headers = headers_for(bridge, method, path, body if method == "POST" else b"") | replaced
        data = body if method == "POST" else None
        response = requests.request(
            method, f"http://{host}:{port}{path}", headers=headers, data=data, timeout=10
        )
        assert response.headers.get("Content-Type", "").startswith("application/json"), (
            replaced,
            response.text,
        )
        answer = response.json()
        assert set(answer) == {"error"} and set(answer["error"]) == {"code", "message"}, answer
        assert answer["error"]["code"] in AUTH_ERRORS.get(response.status_code, set()), (replaced, answer)

    refused()


async def test_any_authentication_headers_but_the_right_ones_are_a_documented_401_or_409_and_store_nothing(
    bridge: Bridge, core: Core
) -> None:
    before = await stored(core)
    await asyncio.to_thread(fuzz, bridge)
    assert await stored(core) == before
