from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Core, build_http_app
from tests.api.helpers import encode, signed_headers
from tests.conftest import FakeClock


@dataclass
class LinkedDevice:
    device_id: str
    secret_hex: str
    login: int
    server: str
    telegram_id: int


@dataclass
class Bridge:
    """A signed-request client over the real aiohttp app, bound to one linked device."""

    client: TestClient  # type: ignore[type-arg]
    device: LinkedDevice
    clock: FakeClock

    async def call(
        self, method: str, path: str, body: Any = None, raw: bytes | None = None, **sign: Any
    ) -> Any:
        data = raw if raw is not None else (b"" if body is None else encode(body))
        device_id = sign.pop("device_id", self.device.device_id)
        secret = sign.pop("secret_hex", self.device.secret_hex)
        headers = signed_headers(device_id, secret, method, path, data, self.clock(), **sign)
        return await self.client.request(method, path, data=data, headers=headers)


async def link_device(core: Core, telegram_id: int = 4242, login: int = 5012345) -> LinkedDevice:
    services = core.bot_services
    user = await services.users.resolve(telegram_id, "Ann", None, "en")
    result = await services.links.link(user, login, "Broker-Live")
    return LinkedDevice(result.device_id, result.secret_hex, login, "Broker-Live", telegram_id)


@pytest.fixture
async def bridge(core: Core, clock: FakeClock) -> AsyncIterator[Bridge]:
    device = await link_device(core)
    app = build_http_app(core, None)
    async with TestClient(TestServer(app)) as client:
        yield Bridge(client, device, clock)
