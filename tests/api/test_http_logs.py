"""What the HTTP edge logs: one INFO line per refused or malformed request, no traceback, no raw bytes."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.app import Core, build_http_app
from bot.logs import configure_logging
from core.api.server import serve_http


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    """The service's own log configuration, writing here; the root logger is restored afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("INFO", "text", stream=stream)
    yield stream
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


@pytest.fixture
async def port(core: Core) -> AsyncIterator[int]:
    async with serve_http(build_http_app(core, None), "127.0.0.1", 0) as runner:
        yield runner.addresses[0][1]


async def exchange(port: int, raw: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    answer = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    await asyncio.sleep(0.05)  # let the server finish logging
    return answer


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Evil: a\x00b\r\n\r\n", "Invalid header value char"),
        (b"GET /\x00\x1b[31m HTTP/1.1\r\nHost: x\r\n\r\n", "Invalid char in url path"),
        (b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1\x00\r\n\r\n", "Content-Length"),
        (b"G\x00T /health HTTP/1.1\r\nHost: x\r\n\r\n\r\n" * 2, "method"),
    ],
    ids=["nul-in-header", "control-chars-in-request-line", "nul-in-content-length", "nul-in-method"],
)
async def test_a_malformed_request_is_one_info_line_without_traceback_or_raw_bytes(
    port: int, output: io.StringIO, raw: bytes, reason: str
) -> None:
    answer = await exchange(port, raw)
    assert answer.startswith(b"HTTP/1.0 400") or answer.startswith(b"HTTP/1.1 400")

    written = output.getvalue()
    lines = written.splitlines()
    assert len(lines) == 1, written
    assert " INFO aiohttp.server: refused malformed request from 127.0.0.1: 400 " in lines[0]
    assert reason.lower() in lines[0].lower()
    assert "Traceback" not in written and "ERROR" not in written
    assert not any(not char.isprintable() for char in lines[0])


async def test_a_refused_request_is_one_info_line_naming_method_path_status_code_and_remote(
    port: int, output: io.StringIO
) -> None:
    await exchange(
        port, b"GET /v1/nothing/%00here?token=s3cret&login=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )

    lines = output.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].endswith(
        "INFO core.api.app: refused GET /v1/nothing/%00here?token=&login=: 404 not_found from 127.0.0.1"
    )
    assert "s3cret" not in lines[0]


async def test_a_refused_bridge_request_logs_its_error_code(port: int, output: io.StringIO) -> None:
    body = json.dumps({"seq": 1}).encode()
    head = (
        "POST /v1/bridge/snapshot HTTP/1.1\r\nHost: x\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    answer = await exchange(port, head.encode() + body)

    assert answer.startswith(b"HTTP/1.1 401")
    assert "refused POST /v1/bridge/snapshot: 401 missing_header from 127.0.0.1" in output.getvalue()
