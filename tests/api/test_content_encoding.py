"""Compressed bodies: BRIDGE.md signs the raw body bytes, and the EA never compresses, so a request with a
Content-Encoding other than identity is refused with 415 before its body is read, whichever bytes the
signature covers, and changes nothing. Through the real server (`bot.runner.http_server`)."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import AsyncIterator, Callable

import pytest

from bot.app import Core
from tests.api.conftest import Bridge
from tests.api.served import RawAnswer, raw_request, served_bridge
from tests.api.state import stored
from tests.api.wire import COMMANDS, SNAPSHOT, compact, headers_for, snapshot
from tests.conftest import FakeClock

BODY = compact(snapshot(seq=7))
Compress = Callable[[bytes], bytes]
ENCODINGS: dict[str, Compress] = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": lambda data: b"\x1b" + data,  # brotli is not installed: the bytes only have to be sent
    "zstd": lambda data: b"\x28\xb5\x2f\xfd" + data,
    "gzip, identity": gzip.compress,
    "GZIP": gzip.compress,
    "compress": lambda data: data,
    "identity, identity": lambda data: data,
    "": lambda data: data,
}


@pytest.fixture
async def bridge(core: Core, clock: FakeClock) -> AsyncIterator[Bridge]:
    async with served_bridge(core, clock) as served:
        yield served


async def post(bridge: Bridge, sent: bytes, signed_over: bytes, encoding: str | None) -> RawAnswer:
    headers = headers_for(bridge, "POST", SNAPSHOT, signed_over)
    if encoding is not None:
        headers["Content-Encoding"] = encoding
    return await raw_request(bridge, "POST", SNAPSHOT.encode(), headers, sent)


def assert_unsupported_encoding(answer: RawAnswer) -> None:
    assert answer.status == 415, answer
    assert answer.json()["error"]["code"] == "unsupported_encoding", answer
    assert set(answer.json()) == {"error"} and answer.json()["error"]["message"], answer


@pytest.mark.parametrize("encoding", list(ENCODINGS))
@pytest.mark.parametrize("signed_over", ["sent-bytes", "decompressed-bytes"])
async def test_an_encoded_snapshot_is_refused_with_415_and_stores_nothing(
    bridge: Bridge, core: Core, encoding: str, signed_over: str
) -> None:
    sent = ENCODINGS[encoding](BODY)
    before = await stored(core)
    answer = await post(bridge, sent, sent if signed_over == "sent-bytes" else BODY, encoding)
    assert_unsupported_encoding(answer)
    assert await stored(core) == before
    assert before.states == ()


async def test_a_corrupt_gzip_body_is_refused_with_415_not_a_server_error(bridge: Bridge, core: Core) -> None:
    before = await stored(core)
    assert_unsupported_encoding(await post(bridge, b"not gzip at all", b"not gzip at all", "gzip"))
    assert await stored(core) == before


async def test_an_encoded_request_is_refused_before_authentication_so_it_burns_no_nonce(
    bridge: Bridge, core: Core
) -> None:
    sent = gzip.compress(BODY)
    headers = headers_for(bridge, "POST", SNAPSHOT, BODY, nonce="same-nonce-0123456789")
    assert_unsupported_encoding(
        await raw_request(bridge, "POST", SNAPSHOT.encode(), headers | {"Content-Encoding": "gzip"}, sent)
    )
    answer = await raw_request(bridge, "POST", SNAPSHOT.encode(), headers, BODY)
    assert answer.status == 200, answer
    assert (await stored(core)).only_state.last_seq == 7


async def test_an_encoded_get_is_refused_too(bridge: Bridge) -> None:
    headers = headers_for(bridge, "GET", COMMANDS) | {"Content-Encoding": "gzip"}
    assert_unsupported_encoding(await raw_request(bridge, "GET", COMMANDS.encode(), headers))


@pytest.mark.parametrize("encoding", [None, "identity", "Identity"])
async def test_an_identity_body_is_accepted(bridge: Bridge, core: Core, encoding: str | None) -> None:
    answer = await post(bridge, BODY, BODY, encoding)
    assert answer.status == 200, answer
    assert answer.json()["accepted"] is True
    assert (await stored(core)).only_state.last_seq == 7
