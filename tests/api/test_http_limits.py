"""Slow and greedy clients are dropped: idle, slowloris, slow body, too many connections from one IP.

The real server (`serve_http`, as `tradeguard run` starts it) on loopback, driven with raw sockets, with
timeouts of a fraction of a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.app import Core, build_http_app
from core.api.app import mark_started
from core.api.server import serve_http
from core.config import Settings
from tests.conftest import make_settings

HEADER_TIMEOUT = 0.6
BODY_TIMEOUT = 0.8
KEEPALIVE = 1.2  # longer than the header timeout: an idle keep-alive connection is not cut by it
PER_IP = 3
SLACK = 1.5  # a loaded 2-core runner: how much later than its deadline a close may come
GET_HEALTH = b"GET /health HTTP/1.1\r\nHost: tradeguard\r\n\r\n"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(
        tmp_path,
        http_header_timeout_seconds=HEADER_TIMEOUT,
        http_body_timeout_seconds=BODY_TIMEOUT,
        http_keepalive_seconds=KEEPALIVE,
        http_max_connections_per_ip=PER_IP,
    )


@dataclass
class Server:
    port: int

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", self.port)


@pytest.fixture
async def server(core: Core) -> AsyncIterator[Server]:
    app = build_http_app(core, None)
    async with serve_http(app, "127.0.0.1", 0) as runner:
        mark_started(app)
        yield Server(runner.addresses[0][1])


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines if h)}
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return int(status_line.split()[1]), headers, body


async def closed_after(reader: asyncio.StreamReader, limit: float) -> float:
    """Seconds until the server closes the connection (EOF or reset), failing after `limit`."""
    started = time.monotonic()
    async with asyncio.timeout(limit):
        with contextlib.suppress(ConnectionResetError):
            while await reader.read(65536):
                pass
    return time.monotonic() - started


def error_code(body: bytes) -> str:
    error = json.loads(body)["error"]
    assert set(error) == {"code", "message"} and error["message"]
    return str(error["code"])


async def test_a_connection_idle_after_an_answer_is_closed_after_the_keepalive_timeout(
    server: Server,
) -> None:
    reader, writer = await server.connect()
    writer.write(GET_HEALTH)
    status, headers, _ = await read_answer(reader)
    assert status == 200 and headers.get("connection", "keep-alive").lower() != "close"

    waited = await closed_after(reader, KEEPALIVE + SLACK)
    assert waited >= KEEPALIVE * 0.8
    writer.close()


async def test_a_new_connection_that_sends_nothing_gets_a_408_after_the_header_timeout(
    server: Server,
) -> None:
    reader, writer = await server.connect()
    started = time.monotonic()
    status, _, body = await asyncio.wait_for(read_answer(reader), HEADER_TIMEOUT + SLACK)
    assert status == 408 and error_code(body) == "request_timeout"
    assert time.monotonic() - started >= HEADER_TIMEOUT * 0.8
    await closed_after(reader, SLACK)
    writer.close()


async def test_a_keepalive_connection_in_use_stays_open_past_the_keepalive_timeout(server: Server) -> None:
    reader, writer = await server.connect()
    started = time.monotonic()
    while time.monotonic() - started < KEEPALIVE * 2:
        writer.write(GET_HEALTH)
        status, _, _ = await read_answer(reader)
        assert status == 200
        await asyncio.sleep(KEEPALIVE / 4)
    writer.close()


async def test_headers_sent_a_byte_at_a_time_are_cut_off_with_a_408_after_the_header_timeout(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    reader, writer = await server.connect()
    request = b"GET /health HTTP/1.1\r\nHost: tradeguard\r\n" + b"X-Slow: " + b"a" * 200

    async def trickle() -> None:
        with contextlib.suppress(ConnectionError):
            for byte in request:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.05)

    trickling = asyncio.create_task(trickle())
    started = time.monotonic()
    status, headers, body = await asyncio.wait_for(read_answer(reader), HEADER_TIMEOUT + SLACK)
    waited = time.monotonic() - started
    trickling.cancel()

    assert status == 408 and error_code(body) == "request_timeout"
    assert headers["connection"].lower() == "close"
    assert HEADER_TIMEOUT * 0.8 <= waited < HEADER_TIMEOUT + SLACK
    await closed_after(reader, SLACK)
    writer.close()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == [
        f"closed connection from 127.0.0.1: request headers not complete within {HEADER_TIMEOUT:g} s"
    ]


async def test_a_request_whose_headers_finish_in_time_is_answered_even_when_sent_slowly(
    server: Server,
) -> None:
    reader, writer = await server.connect()
    for part in (b"GET /health HTTP/1.1\r\n", b"Host: tradeguard\r\n", b"\r\n"):
        writer.write(part)
        await asyncio.sleep(HEADER_TIMEOUT / 4)
    status, _, _ = await read_answer(reader)
    assert status == 200
    writer.close()


async def test_a_body_still_trickling_in_after_the_body_timeout_is_answered_408_and_closed(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    reader, writer = await server.connect()
    writer.write(
        b"POST /v1/bridge/snapshot HTTP/1.1\r\nHost: tradeguard\r\n"
        b"Content-Type: application/json\r\nContent-Length: 10000\r\n\r\n{"
    )

    async def trickle() -> None:  # a byte every 50 ms: never idle, never finished
        with contextlib.suppress(ConnectionError):
            while True:
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(0.05)

    trickling = asyncio.create_task(trickle())
    started = time.monotonic()
    status, headers, body = await asyncio.wait_for(read_answer(reader), BODY_TIMEOUT + SLACK)
    waited = time.monotonic() - started
    try:
        assert status == 408 and error_code(body) == "request_timeout"
        assert headers["connection"].lower() == "close"
        assert BODY_TIMEOUT * 0.8 <= waited < BODY_TIMEOUT + SLACK
        await closed_after(reader, SLACK)
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == [
            "refused POST /v1/bridge/snapshot: 408 request_timeout from 127.0.0.1"
        ]
    finally:
        trickling.cancel()
        writer.close()


async def test_one_connection_over_the_per_ip_cap_is_refused_while_the_others_still_work(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    held = [await server.connect() for _ in range(PER_IP)]
    await asyncio.sleep(0.1)  # the server has accepted them all

    reader, writer = await server.connect()
    status, headers, body = await asyncio.wait_for(read_answer(reader), SLACK)
    assert status == 503 and error_code(body) == "unavailable"
    assert int(headers["retry-after"]) >= 1
    await closed_after(reader, SLACK)
    writer.close()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == [
        "refused connection from 127.0.0.1: over HTTP_MAX_CONNECTIONS_PER_IP"
    ]

    for held_reader, held_writer in held:  # the connections within the cap are served
        held_writer.write(GET_HEALTH)
        assert (await read_answer(held_reader))[0] == 200

    _, first_writer = held.pop()
    first_writer.close()
    await first_writer.wait_closed()
    await asyncio.sleep(0.1)
    reader, writer = await server.connect()  # a closed connection frees its place
    writer.write(GET_HEALTH)
    assert (await asyncio.wait_for(read_answer(reader), SLACK))[0] == 200
    writer.close()
    for _, held_writer in held:
        held_writer.close()
