"""BRIDGE.md v1 over aiohttp: size, encoding, headers, device, timestamp, signature, nonce, then the body."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from aiohttp import web

from core.api.errors import HttpError, json_response
from core.api.openapi import add_openapi_route
from core.api.schemas import AckIn, InvalidJson, SnapshotIn, parse_json, to_snapshot, validate
from core.api.snapshot_fast import fast_snapshot
from core.bridge.signing import SIGNED_HEADERS
from core.domain.codec import encode_time
from core.domain.models import Device
from core.services.bridge import BridgeService, SignedRequest
from core.services.errors import (
    AuthenticationFailed,
    InvalidInput,
    ReplayedNonce,
    UnknownCommand,
)

MAX_BODY_BYTES = 256 * 1024
# Ids are issued as "cmd_" + 20 hex digits (db/repositories/commands.py) into a VARCHAR(40) column: anything
# else in the path (NUL, other control or non-ASCII characters, thousands of characters) can name no command,
# and must not reach the driver, which cannot even encode some of them.
COMMAND_ID = re.compile(r"cmd_[A-Za-z0-9_-]{1,36}")
BRIDGE = web.AppKey("bridge", BridgeService)
Clock = Callable[[], datetime]
RateLimit = Callable[[str], Awaitable[int | None]]
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
RATE_LIMIT: web.AppKey[RateLimit] = web.AppKey("rate_limit")


class Sightings(Protocol):
    def note(self, account_id: int, remote: str | None) -> None: ...


# issue 11: where each account's EA calls from (core.services.fraud_sightings); optional, never waited on
SIGHTINGS: web.AppKey[Sightings] = web.AppKey("sightings")


def refuse_encoded_body(request: web.Request) -> None:
    """415 for a compressed body: the signature covers the bytes as sent, and the EA never compresses.

    Refused before a byte of the body is read, so nothing is ever inflated (no zip bombs either); the
    server runs with aiohttp's automatic decompression off (bot/runner.py), so what is read is what was sent.
    """
    if any(coding.strip().lower() != "identity" for coding in request.headers.getall("Content-Encoding", [])):
        raise HttpError(
            415, "unsupported_encoding", "Content-Encoding must be identity (bodies are not compressed)"
        )


async def read_limited_body(request: web.Request) -> bytes:
    """413 before parsing: by Content-Length when given, else by reading at most one byte too many."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise HttpError(413, "payload_too_large", f"body over {MAX_BODY_BYTES} bytes")
    refuse_encoded_body(request)
    # read(n) returns as soon as *some* bytes arrive: loop, or a body sent in pieces is cut short
    body = bytearray()
    while len(body) <= MAX_BODY_BYTES:
        chunk = await request.content.read(MAX_BODY_BYTES + 1 - len(body))
        if not chunk:
            return bytes(body)
        body += chunk
    raise HttpError(413, "payload_too_large", f"body over {MAX_BODY_BYTES} bytes")


async def authenticated(request: web.Request, body: bytes) -> Device:
    missing = [name for name in SIGNED_HEADERS if not request.headers.get(name)]
    if missing:
        raise HttpError(401, "missing_header", f"missing header {missing[0]}")
    headers = request.headers
    signed = SignedRequest(
        device_id=headers["X-TG-Device"],
        timestamp=headers["X-TG-Timestamp"].strip(),
        nonce=headers["X-TG-Nonce"].strip(),
        signature=headers["X-TG-Signature"],
        method=request.method,
        path_qs=request.raw_path,
        body=body,
    )
    try:
        device = await request.app[BRIDGE].authenticate(signed)
    except AuthenticationFailed as error:
        raise HttpError(401, error.code, str(error)) from None
    except ReplayedNonce as error:
        raise HttpError(409, "replayed_nonce", str(error)) from None
    retry_after = await request.app[RATE_LIMIT](device.device_id)
    if retry_after is not None:
        raise HttpError(429, "rate_limited", "too many requests from this device", retry_after)
    if (sightings := request.app.get(SIGHTINGS)) is not None:
        sightings.note(device.account_id, request.remote)  # the TCP peer: X-Forwarded-For is not trusted
    return device


def parsed(body: bytes) -> object:
    try:
        return parse_json(body)
    except InvalidJson as error:
        raise HttpError(400, "invalid_json", f"body is not valid JSON: {error}") from None


def invalid(error: InvalidInput) -> HttpError:
    return HttpError(400, "invalid_payload", str(error))


def server_time(request: web.Request) -> str:
    return encode_time(request.app[CLOCK](), "milliseconds")


async def snapshot(request: web.Request) -> web.Response:
    body = await read_limited_body(request)
    device = await authenticated(request, body)
    try:
        incoming = fast_snapshot(body) or to_snapshot(validate(SnapshotIn, parsed(body)))
        answer = await request.app[BRIDGE].accept_snapshot(device, incoming)
    except InvalidInput as error:
        raise invalid(error) from None
    reply: dict[str, object] = {"accepted": True, "seq": answer.seq, "server_time": server_time(request)}
    if answer.duplicate:
        reply["duplicate"] = True
    reply["commands"] = answer.commands
    return json_response(reply)


async def commands(request: web.Request) -> web.Response:
    device = await authenticated(request, await read_limited_body(request))
    return json_response({"commands": await request.app[BRIDGE].pending_commands(device)})


async def ack(request: web.Request) -> web.Response:
    body = await read_limited_body(request)
    device = await authenticated(request, body)
    try:
        ack = validate(AckIn, parsed(body)).model_dump(mode="json")
        await request.app[BRIDGE].acknowledge(device, command_id(request), ack)
    except InvalidInput as error:
        raise invalid(error) from None
    except UnknownCommand as error:
        raise HttpError(404, "unknown_command", str(error)) from None
    return json_response({"ok": True})


def command_id(request: web.Request) -> str:
    """The path's command id, if it has the shape of one; otherwise it names no command (404, like any
    unknown id, and after the same checks: the answer tells nothing an unknown id would not)."""
    value = request.match_info["command_id"]
    if COMMAND_ID.fullmatch(value) is None:
        raise UnknownCommand("no such command for this device")
    return value


async def ping(request: web.Request) -> web.Response:
    """Beyond BRIDGE.md's `ok` and `server_time`: the linked login and server, so a client can check it
    runs on the account it was linked to (and the reference client needs no --login/--server)."""
    device = await authenticated(request, await read_limited_body(request))
    reply = {"ok": True, "server_time": server_time(request), "login": device.login, "server": device.server}
    return json_response(reply)


def add_bridge_routes(app: web.Application) -> None:
    app.router.add_post("/v1/bridge/snapshot", snapshot)
    app.router.add_get("/v1/bridge/commands", commands)
    app.router.add_post("/v1/bridge/commands/{command_id}/ack", ack)
    app.router.add_get("/v1/bridge/ping", ping)
    add_openapi_route(app)  # describes the bridge and the rest; registered here to keep app.py untouched
