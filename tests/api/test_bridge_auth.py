"""BRIDGE.md, Transport and Authentication: who may talk to the bridge, the order the checks run
in, and that every refused request changes nothing on the server."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from bot.app import Core
from core.bridge.signing import SIGNED_HEADERS
from tests.api.conftest import Bridge
from tests.api.helpers import encode
from tests.api.state import stored
from tests.api.wire import (
    COMMANDS,
    MAX_BODY,
    PING,
    SNAPSHOT,
    accepted,
    as_device,
    compact,
    headers_for,
    new_nonce,
    refusal,
    second_device,
    send,
    snapshot,
)

Request = tuple[str, str, Any, dict[str, str]]


def other_secret() -> str:
    return secrets.token_hex(32)


def seconds(bridge: Bridge) -> int:
    return int(bridge.clock().timestamp())


async def burnt_nonce(bridge: Bridge) -> str:
    """A nonce the device has already used (for a ping, which stores nothing)."""
    nonce = new_nonce()
    await accepted(await bridge.call("GET", PING, nonce=nonce))
    return nonce


# --- size (413): checked before anything else --------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", SNAPSHOT), ("POST", f"{COMMANDS}/cmd_1/ack"), ("GET", COMMANDS), ("GET", PING)],
)
async def test_a_body_over_256_kib_without_any_header_is_refused_with_413_on_every_bridge_route(
    bridge: Bridge, core: Core, method: str, path: str
) -> None:
    before = await stored(core)
    response = await send(bridge, method, path, b" " * (MAX_BODY + 1))
    await refusal(response, 413, "payload_too_large")
    assert await stored(core) == before


async def test_an_oversized_body_from_an_unknown_device_is_refused_with_413_not_401(
    bridge: Bridge, core: Core
) -> None:
    data = b"x" * (MAX_BODY + 1)
    headers = headers_for(bridge, "POST", SNAPSHOT, data, device_id="dev_000000000000000000000000")
    await refusal(await send(bridge, "POST", SNAPSHOT, data, headers), 413, "payload_too_large")


def padded(body: bytes, size: int) -> bytes:
    """The same JSON, padded with trailing whitespace to exactly `size` bytes."""
    assert len(body) <= size
    return body + b" " * (size - len(body))


async def test_a_correctly_signed_snapshot_one_byte_over_256_kib_is_refused_with_413_and_stores_nothing(
    bridge: Bridge, core: Core
) -> None:
    before = await stored(core)
    response = await bridge.call("POST", SNAPSHOT, raw=padded(compact(snapshot()), MAX_BODY + 1))
    await refusal(response, 413, "payload_too_large")
    assert await stored(core) == before


async def test_a_snapshot_of_exactly_256_kib_is_accepted(bridge: Bridge, core: Core) -> None:
    response = await bridge.call("POST", SNAPSHOT, raw=padded(compact(snapshot(seq=7)), MAX_BODY))
    assert (await accepted(response))["seq"] == 7
    assert (await stored(core)).only_state.last_seq == 7


async def in_pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]
        await asyncio.sleep(0.002)  # each piece reaches the server on its own


async def test_an_oversized_body_streamed_without_content_length_is_refused_with_413(
    bridge: Bridge, core: Core
) -> None:
    before = await stored(core)
    response = await send(bridge, "POST", SNAPSHOT, in_pieces(b" " * (MAX_BODY + 10), 32 * 1024))
    await refusal(response, 413, "payload_too_large")
    assert await stored(core) == before


@pytest.mark.parametrize("framing", ["chunked", "content-length"])
async def test_a_signed_snapshot_that_arrives_in_several_pieces_is_read_whole_and_accepted(
    bridge: Bridge, core: Core, framing: str
) -> None:
    raw = encode(snapshot(seq=3))
    headers = headers_for(bridge, "POST", SNAPSHOT, raw)
    if framing == "content-length":
        headers["Content-Length"] = str(len(raw))
    response = await send(bridge, "POST", SNAPSHOT, in_pieces(raw, 700), headers)
    assert (await accepted(response))["seq"] == 3
    assert (await stored(core)).only_state.last_seq == 3


# --- headers present (401 missing_header) ------------------------------------------------------


@pytest.mark.parametrize("header", SIGNED_HEADERS)
@pytest.mark.parametrize("value", [None, ""], ids=["absent", "empty"])
async def test_a_snapshot_without_a_signing_header_is_refused_with_401_missing_header_naming_it(
    bridge: Bridge, core: Core, header: str, value: str | None
) -> None:
    raw = encode(snapshot())
    headers = headers_for(bridge, "POST", SNAPSHOT, raw)
    if value is None:
        del headers[header]
    else:
        headers[header] = value
    before = await stored(core)
    message = await refusal(await send(bridge, "POST", SNAPSHOT, raw, headers), 401, "missing_header")
    assert header in message
    assert await stored(core) == before


@pytest.mark.parametrize(
    "nonce",
    ["a" * 15, "b" * 65, "dots.are.not.allowed", "no spaces allowed here"],
    ids=["15-chars", "65-chars", "dot", "space"],
)
async def test_a_nonce_that_is_not_16_to_64_url_safe_characters_is_refused_with_401_and_stores_nothing(
    bridge: Bridge, core: Core, nonce: str
) -> None:
    before = await stored(core)
    response = await bridge.call("POST", SNAPSHOT, snapshot(), nonce=nonce)
    # BRIDGE.md names no code for a malformed nonce; the server treats it as a header not present
    message = await refusal(response, 401, "missing_header")
    assert "X-TG-Nonce" in message
    assert await stored(core) == before


@pytest.mark.parametrize("nonce", ["a" * 16, "Az09_-" * 10 + "Zz_-"], ids=["16-chars", "64-chars"])
async def test_nonces_of_16_and_of_64_url_safe_characters_are_accepted(bridge: Bridge, nonce: str) -> None:
    assert len(nonce) in (16, 64)
    assert (await accepted(await bridge.call("GET", PING, nonce=nonce)))["ok"] is True


# --- device known (401 unknown_device) ---------------------------------------------------------


async def test_an_unknown_device_is_refused_with_401_unknown_device_and_stores_nothing(
    bridge: Bridge, core: Core
) -> None:
    before = await stored(core)
    response = await bridge.call("POST", SNAPSHOT, snapshot(), device_id="dev_ffffffffffffffffffffffff")
    await refusal(response, 401, "unknown_device")
    assert await stored(core) == before


async def test_a_revoked_device_is_refused_with_401_unknown_device_even_with_its_real_secret(
    bridge: Bridge, core: Core
) -> None:
    async with core.engine.begin() as connection:
        await connection.execute(text("UPDATE devices SET revoked = true"))
    before = await stored(core)
    await refusal(await bridge.call("POST", SNAPSHOT, snapshot()), 401, "unknown_device")
    assert await stored(core) == before


# --- timestamp window (401 stale_timestamp) ----------------------------------------------------


@pytest.mark.parametrize(
    ("server_clock_moves", "status"),
    [(31, 401), (-31, 401), (30, 200), (-30, 200)],
    ids=["signed-31s-ago", "signed-31s-ahead", "signed-30s-ago", "signed-30s-ahead"],
)
async def test_a_request_is_accepted_within_30_seconds_of_server_time_and_refused_beyond(
    bridge: Bridge, core: Core, server_clock_moves: int, status: int
) -> None:
    raw = encode(snapshot())
    headers = headers_for(bridge, "POST", SNAPSHOT, raw)  # signed now, by the client's clock
    bridge.clock.advance(server_clock_moves)  # ... and seen by a server this far ahead (or behind)
    before = await stored(core)
    response = await send(bridge, "POST", SNAPSHOT, raw, headers)
    if status == 200:
        await accepted(response)
        assert (await stored(core)).only_state.last_seq == 1
    else:
        message = await refusal(response, 401, "stale_timestamp")
        assert "31 s" in message
        assert await stored(core) == before


@pytest.mark.parametrize(
    "stamp",
    ["soon", "1795816800.5", "-1795816800", "١٧٩٥٨١٦٨٠٠", "²", "9" * 5000],
    ids=["word", "fraction", "negative", "arabic-indic-digits", "superscript-two", "5000-digits"],
)
async def test_a_timestamp_that_is_not_unix_seconds_is_refused_with_401_stale_timestamp(
    bridge: Bridge, core: Core, stamp: str
) -> None:
    raw = encode(snapshot())
    headers = headers_for(bridge, "POST", SNAPSHOT, raw)
    headers["X-TG-Timestamp"] = stamp
    before = await stored(core)
    await refusal(await send(bridge, "POST", SNAPSHOT, raw, headers), 401, "stale_timestamp")
    assert await stored(core) == before


# --- signature (401 bad_signature) -------------------------------------------------------------


def _wrong_secret(bridge: Bridge) -> Request:
    raw = encode(snapshot())
    return "POST", SNAPSHOT, raw, headers_for(bridge, "POST", SNAPSHOT, raw, secret_hex=other_secret())


def _body_tampered(bridge: Bridge) -> Request:
    signed = encode(snapshot(equity="9850.50"))
    return "POST", SNAPSHOT, encode(snapshot(equity="1.00")), headers_for(bridge, "POST", SNAPSHOT, signed)


def _query_added(bridge: Bridge) -> Request:
    raw = encode(snapshot())
    return "POST", f"{SNAPSHOT}?replay=1", raw, headers_for(bridge, "POST", SNAPSHOT, raw)


def _query_removed(bridge: Bridge) -> Request:
    raw = encode(snapshot())
    return "POST", SNAPSHOT, raw, headers_for(bridge, "POST", f"{SNAPSHOT}?v=1", raw)


def _path_changed(bridge: Bridge) -> Request:
    return "GET", COMMANDS, b"", headers_for(bridge, "GET", PING)


def _method_changed(bridge: Bridge) -> Request:
    raw = encode(snapshot())
    return "POST", SNAPSHOT, raw, headers_for(bridge, "PUT", SNAPSHOT, raw)


def _timestamp_changed(bridge: Bridge) -> Request:
    raw = encode(snapshot())
    headers = headers_for(bridge, "POST", SNAPSHOT, raw)
    headers["X-TG-Timestamp"] = str(seconds(bridge) - 5)
    return "POST", SNAPSHOT, raw, headers


def _nonce_changed(bridge: Bridge) -> Request:
    raw = encode(snapshot())
    headers = headers_for(bridge, "POST", SNAPSHOT, raw)
    headers["X-TG-Nonce"] = new_nonce()
    return "POST", SNAPSHOT, raw, headers


def _signature_truncated(bridge: Bridge) -> Request:
    raw = encode(snapshot())
    headers = headers_for(bridge, "POST", SNAPSHOT, raw)
    headers["X-TG-Signature"] = headers["X-TG-Signature"][:-2]
    return "POST", SNAPSHOT, raw, headers


FORGERIES: dict[str, Callable[[Bridge], Request]] = {
    "wrong-secret": _wrong_secret,
    "body-tampered-after-signing": _body_tampered,
    "query-added-after-signing": _query_added,
    "query-removed-after-signing": _query_removed,
    "path-changed-after-signing": _path_changed,
    "method-changed-after-signing": _method_changed,
    "timestamp-changed-after-signing": _timestamp_changed,
    "nonce-changed-after-signing": _nonce_changed,
    "signature-truncated": _signature_truncated,
}


@pytest.mark.parametrize("forgery", list(FORGERIES))
async def test_a_request_whose_signature_does_not_match_is_refused_with_401_bad_signature_and_stores_nothing(
    bridge: Bridge, core: Core, forgery: str
) -> None:
    method, path, data, headers = FORGERIES[forgery](bridge)
    before = await stored(core)
    await refusal(await send(bridge, method, path, data, headers), 401, "bad_signature")
    assert await stored(core) == before


# --- nonce (409 replayed_nonce) ----------------------------------------------------------------


async def test_a_replayed_nonce_is_refused_with_409_and_stores_nothing(bridge: Bridge, core: Core) -> None:
    nonce = new_nonce()
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=1), nonce=nonce))
    before = await stored(core)
    replay = await bridge.call("POST", SNAPSHOT, snapshot(seq=2, equity="1.00"), nonce=nonce)
    await refusal(replay, 409, "replayed_nonce")
    assert await stored(core) == before
    assert before.only_state.last_seq == 1


async def test_a_byte_for_byte_replay_of_an_accepted_snapshot_is_refused_with_409(
    bridge: Bridge, core: Core
) -> None:
    raw = encode(snapshot(seq=1))
    headers = headers_for(bridge, "POST", SNAPSHOT, raw)
    await accepted(await send(bridge, "POST", SNAPSHOT, raw, headers))
    before = await stored(core)
    await refusal(await send(bridge, "POST", SNAPSHOT, raw, headers), 409, "replayed_nonce")
    assert await stored(core) == before


@pytest.mark.parametrize(
    "forgery",
    ["wrong-secret", "body-tampered", "stale-timestamp"],
)
async def test_a_refused_forgery_does_not_burn_its_nonce_so_the_real_client_can_still_use_it(
    bridge: Bridge, core: Core, forgery: str
) -> None:
    nonce = new_nonce()
    if forgery == "wrong-secret":
        forged = await bridge.call("POST", SNAPSHOT, snapshot(), nonce=nonce, secret_hex=other_secret())
        await refusal(forged, 401, "bad_signature")
    elif forgery == "body-tampered":
        headers = headers_for(bridge, "POST", SNAPSHOT, encode(snapshot()), nonce=nonce)
        tampered = encode(snapshot(equity="1.00"))
        await refusal(await send(bridge, "POST", SNAPSHOT, tampered, headers), 401, "bad_signature")
    else:
        forged = await bridge.call("POST", SNAPSHOT, snapshot(), nonce=nonce, timestamp=seconds(bridge) - 600)
        await refusal(forged, 401, "stale_timestamp")
    real = await bridge.call("POST", SNAPSHOT, snapshot(seq=1), nonce=nonce)
    assert (await accepted(real))["seq"] == 1
    assert (await stored(core)).only_state.equity == Decimal("9850.50")


async def test_nonces_are_remembered_per_device_so_another_device_may_use_the_same_one(
    bridge: Bridge, core: Core
) -> None:
    other = as_device(bridge, await second_device(core))
    nonce = await burnt_nonce(bridge)
    await accepted(await other.call("GET", PING, nonce=nonce))
    await refusal(await other.call("GET", PING, nonce=nonce), 409, "replayed_nonce")


# --- the order of the checks ------------------------------------------------------------------

Build = Callable[[Bridge], Awaitable[Request]]


async def _oversized_and_unsigned(bridge: Bridge) -> Request:
    return "POST", SNAPSHOT, b"{" * (MAX_BODY + 1), {}


async def _unsigned_with_a_bad_body(bridge: Bridge) -> Request:
    return "POST", SNAPSHOT, b"not json", {}


async def _unknown_device_stale_and_bad_body(bridge: Bridge) -> Request:
    headers = headers_for(
        bridge,
        "POST",
        SNAPSHOT,
        b"not json",
        device_id="dev_000000000000000000000000",
        timestamp=seconds(bridge) - 3600,
    )
    return "POST", SNAPSHOT, b"not json", headers


async def _stale_and_badly_signed(bridge: Bridge) -> Request:
    raw = b"not json"
    stamp = seconds(bridge) - 3600
    headers = headers_for(bridge, "POST", SNAPSHOT, raw, timestamp=stamp, secret_hex=other_secret())
    return "POST", SNAPSHOT, raw, headers


async def _badly_signed_with_a_used_nonce(bridge: Bridge) -> Request:
    nonce = await burnt_nonce(bridge)
    headers = headers_for(bridge, "POST", SNAPSHOT, b"not json", nonce=nonce, secret_hex=other_secret())
    return "POST", SNAPSHOT, b"not json", headers


async def _used_nonce_with_a_bad_body(bridge: Bridge) -> Request:
    nonce = await burnt_nonce(bridge)
    return "POST", SNAPSHOT, b"not json", headers_for(bridge, "POST", SNAPSHOT, b"not json", nonce=nonce)


async def _signed_with_a_bad_body(bridge: Bridge) -> Request:
    return "POST", SNAPSHOT, b"not json", headers_for(bridge, "POST", SNAPSHOT, b"not json")


ORDER: list[tuple[str, Build, int, str]] = [
    ("oversized-and-unsigned", _oversized_and_unsigned, 413, "payload_too_large"),
    ("unsigned-with-a-bad-body", _unsigned_with_a_bad_body, 401, "missing_header"),
    ("unknown-device-stale-bad-body", _unknown_device_stale_and_bad_body, 401, "unknown_device"),
    ("stale-and-badly-signed", _stale_and_badly_signed, 401, "stale_timestamp"),
    ("badly-signed-with-a-used-nonce", _badly_signed_with_a_used_nonce, 401, "bad_signature"),
    ("used-nonce-with-a-bad-body", _used_nonce_with_a_bad_body, 409, "replayed_nonce"),
    ("signed-with-a-bad-body", _signed_with_a_bad_body, 400, "invalid_json"),
]


@pytest.mark.parametrize(("build", "status", "code"), [o[1:] for o in ORDER], ids=[o[0] for o in ORDER])
async def test_a_request_with_several_faults_gets_the_answer_of_the_first_check_in_bridge_md_order(
    bridge: Bridge, core: Core, build: Build, status: int, code: str
) -> None:
    method, path, data, headers = await build(bridge)
    before = await stored(core)
    await refusal(await send(bridge, method, path, data, headers), status, code)
    assert await stored(core) == before


# --- rate limit (429 rate_limited) -------------------------------------------------------------


async def test_more_than_20_requests_a_second_from_one_device_are_refused_with_429_and_retry_after(
    bridge: Bridge, core: Core
) -> None:
    pings = await asyncio.gather(*(bridge.call("GET", PING) for _ in range(20)))
    assert [response.status for response in pings] == [200] * 20
    for response in pings:
        await response.release()
    before = await stored(core)
    response = await bridge.call("POST", SNAPSHOT, snapshot())
    await refusal(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 1
    assert await stored(core) == before


async def test_the_rate_limit_counts_each_device_on_its_own(bridge: Bridge, core: Core) -> None:
    other = as_device(bridge, await second_device(core))
    answers = await asyncio.gather(*(bridge.call("GET", PING) for _ in range(21)))
    statuses = sorted(response.status for response in answers)
    for response in answers:
        await response.release()
    assert statuses == [200] * 20 + [429]
    await accepted(await other.call("GET", PING))


async def test_a_rate_limited_device_is_served_again_in_the_next_second(bridge: Bridge) -> None:
    answers = await asyncio.gather(*(bridge.call("GET", PING) for _ in range(21)))
    assert sorted(response.status for response in answers)[-1] == 429
    for response in answers:
        await response.release()
    await asyncio.sleep(1.1)
    await accepted(await bridge.call("GET", PING))


# --- rotation ----------------------------------------------------------------------------------


async def test_relinking_gives_a_new_device_the_old_one_is_refused_at_once_and_the_new_one_works(
    bridge: Bridge, core: Core
) -> None:
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=5)))
    services = core.bot_services
    user = await services.users.resolve(bridge.device.telegram_id, "Ann", None, "en")
    relinked = await services.links.link(user, bridge.device.login, bridge.device.server)
    assert relinked.rotated
    assert relinked.device_id != bridge.device.device_id
    assert relinked.secret_hex != bridge.device.secret_hex
    before = await stored(core)
    await refusal(await bridge.call("POST", SNAPSHOT, snapshot(seq=6)), 401, "unknown_device")
    assert await stored(core) == before
    new_device = {"device_id": relinked.device_id, "secret_hex": relinked.secret_hex}
    fresh = await bridge.call("POST", SNAPSHOT, snapshot(seq=1), **new_device)  # its own seq, from 1
    assert (await accepted(fresh)).get("duplicate") is None
    assert (await stored(core)).only_state.last_seq == 1


@pytest.mark.parametrize("seq", [2**63 - 1, 2**62, 10**15])
async def test_a_seq_far_ahead_is_refused_and_cannot_freeze_the_device(
    bridge: Bridge, core: Core, seq: int
) -> None:
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=5)))
    before = await stored(core)

    await refusal(await bridge.call("POST", SNAPSHOT, snapshot(seq=seq)), 400, "invalid_payload")

    assert await stored(core) == before
    assert (await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=6))))["seq"] == 6


async def test_a_client_counting_in_milliseconds_is_accepted(bridge: Bridge, core: Core) -> None:
    """The reference client's seq is Unix milliseconds: a restarted terminal still sends a greater one."""
    now_ms = int(bridge.clock().timestamp() * 1000)
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=now_ms)))
    later = await bridge.call("POST", SNAPSHOT, snapshot(seq=now_ms + 3_600_000))
    assert (await accepted(later))["seq"] == now_ms + 3_600_000


# --- hostile header bytes: a 401, never a 500 --------------------------------------------------


async def raw_get(bridge: Bridge, path: str, headers: dict[str, bytes]) -> tuple[int, bytes]:
    """Send header bytes no HTTP client library would (e.g. invalid UTF-8) and read the answer."""
    server = bridge.client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    lines = [f"GET {path} HTTP/1.1".encode(), b"Host: test", b"Connection: close"]
    lines += [name.encode() + b": " + value for name, value in headers.items()]
    writer.write(b"\r\n".join(lines) + b"\r\n\r\n")
    answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.mark.parametrize(
    ("header", "value", "code"),
    [
        ("X-TG-Device", b"dev_\xff\xfe", "unknown_device"),
        ("X-TG-Timestamp", b"\xff\xfe", "stale_timestamp"),
        ("X-TG-Signature", b"\xff\xfe" + b"0" * 62, "bad_signature"),
    ],
    ids=["device", "timestamp", "signature"],
)
async def test_a_signing_header_that_is_not_utf8_is_refused_with_401_never_a_500(
    bridge: Bridge, header: str, value: bytes, code: str
) -> None:
    headers = {name: text_value.encode() for name, text_value in headers_for(bridge, "GET", PING).items()}
    headers[header] = value
    status, body = await raw_get(bridge, PING, headers)
    assert status == 401, body
    assert f'"code": "{code}"'.encode() in body
