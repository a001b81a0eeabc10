"""The bridge served as in production: the real app behind `tradeguard run`'s server on a loopback port,
and a raw HTTP/1.1 request for what an ordinary client would not send (exact bytes in the path)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.app import Core, build_http_app

try:  # where `tradeguard run` serves the app from: core/api/server.py once the HTTP limits land
    from core.api.server import serve_http as http_server  # type: ignore[import-not-found]
except ImportError:
    from bot.runner import http_server
from core.api.app import mark_started
from core.api.bridge import RATE_LIMIT
from db.redis_store import RedisRateLimiter
from tests.api.conftest import Bridge, link_device
from tests.conftest import FakeClock


@asynccontextmanager
async def served_bridge(
    core: Core, clock: FakeClock, per_device_per_second: int = 20
) -> AsyncIterator[Bridge]:
    """A linked device's signed client over the real server (`Bridge.client` is a ClientSession here)."""
    device = await link_device(core)
    app = build_http_app(core, None)
    app[RATE_LIMIT] = RedisRateLimiter(core.redis, per_second=per_device_per_second)
    async with http_server(app, "127.0.0.1", 0) as runner:
        mark_started(app)
        host, port = runner.addresses[0][:2]
        async with aiohttp.ClientSession(f"http://{host}:{port}") as session:
            yield Bridge(session, device, clock)  # type: ignore[arg-type]


def address(bridge: Bridge) -> tuple[str, int]:
    url = bridge.client._base_url  # type: ignore[attr-defined]
    return str(url.host), int(url.port)


@dataclass(frozen=True)
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def raw_request(
    bridge: Bridge, method: str, target: bytes, headers: dict[str, str], body: bytes = b""
) -> RawAnswer:
    """One request with `target` sent byte for byte, on its own connection."""
    host, port = address(bridge)
    reader, writer = await asyncio.open_connection(host, port)
    lines = [method.encode() + b" " + target + b" HTTP/1.1", b"Host: " + host.encode(), b"Connection: close"]
    lines += [f"{name}: {value}".encode() for name, value in headers.items()]
    lines.append(f"Content-Length: {len(body)}".encode())
    try:
        writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    head, _, payload = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in header_lines)
    return RawAnswer(int(status_line.split()[1]), fields, payload)
