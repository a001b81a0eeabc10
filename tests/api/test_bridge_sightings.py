"""Bridge sightings through the real aiohttp app (issue 11): an authenticated EA request records where
it came from (the TCP peer, never X-Forwarded-For) once an hour, off the answer's path; a refused request
records nothing, and a Redis or Postgres outage never fails the answer."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from bot.app import Core
from core.api.bridge import SIGHTINGS
from core.services.fraud_sightings import SightingRecorder
from tests.api.conftest import Bridge
from tests.api.helpers import signed_headers
from tests.api.wire import PING, SNAPSHOT, accepted, snapshot

SELECT = "SELECT account_id, ip, first_seen, last_seen FROM bridge_sightings"


def recorder(bridge: Bridge) -> SightingRecorder:
    found = bridge.client.server.app[SIGHTINGS]
    assert isinstance(found, SightingRecorder)
    return found


async def sightings(core: Core) -> list[tuple[Any, ...]]:
    async with core.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT account_id, ip, first_seen, last_seen FROM bridge_sightings")
        )
        return [tuple(row) for row in rows]


async def test_an_authenticated_request_records_its_peer_address_once_an_hour(
    core: Core, bridge: Bridge
) -> None:
    await accepted(await bridge.call("GET", PING))
    await recorder(bridge).drain()
    bridge.clock.advance(60)
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot(1)))
    await recorder(bridge).drain()

    [(_, ip, first_seen, last_seen)] = await sightings(core)
    assert ip == "127.0.0.1" and first_seen == last_seen  # the second request was inside the hour's gate


async def test_x_forwarded_for_is_not_trusted(core: Core, bridge: Bridge) -> None:
    device, now = bridge.device, bridge.clock()
    headers = signed_headers(device.device_id, device.secret_hex, "GET", PING, b"", now)
    forged = headers | {"X-Forwarded-For": "198.51.100.9", "X-Real-IP": "198.51.100.9"}
    await accepted(await bridge.client.request("GET", PING, data=b"", headers=forged))
    await recorder(bridge).drain()

    assert [row[1] for row in await sightings(core)] == ["127.0.0.1"]


async def test_a_refused_request_records_nothing(core: Core, bridge: Bridge) -> None:
    answer = await bridge.call("GET", PING, secret_hex="00" * 32)
    assert answer.status == 401
    await recorder(bridge).drain()

    assert await sightings(core) == []


async def test_a_failing_sighting_never_fails_the_answer(
    core: Core, bridge: Bridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(account_id: int, ip: str) -> bool:
        raise ConnectionError("redis is down")

    monkeypatch.setattr(recorder(bridge).gate, "first_this_hour", broken)

    for seq in (1, 2):
        await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq)))
    await recorder(bridge).drain()

    assert await sightings(core) == []
    assert not recorder(bridge).health.healthy
