"""Lower-level request building for the API tier: raw bytes, hand-made headers, exact answers."""

from __future__ import annotations

import json
import re
import secrets
from datetime import datetime
from typing import Any

from aiohttp import ClientResponse
from sqlalchemy import text

from bot.app import Core
from tests.api.conftest import Bridge, LinkedDevice, link_device
from tests.api.helpers import signed_headers, snapshot_body

SNAPSHOT = "/v1/bridge/snapshot"
COMMANDS = "/v1/bridge/commands"
PING = "/v1/bridge/ping"
MAX_BODY = 256 * 1024
ISO_UTC_MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def compact(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def with_literals(body: Any, **literals: str) -> bytes:
    """Encode `body`, then put raw JSON text where a value is the string `@name` (e.g. `1e400`, `NaN`)."""
    encoded = json.dumps(body)
    for name, literal in literals.items():
        placeholder = json.dumps(f"@{name}")
        assert placeholder in encoded, name
        encoded = encoded.replace(placeholder, literal)
    return encoded.encode()


def headers_for(bridge: Bridge, method: str, path: str, data: bytes = b"", **sign: Any) -> dict[str, str]:
    device_id = sign.pop("device_id", bridge.device.device_id)
    secret = sign.pop("secret_hex", bridge.device.secret_hex)
    return signed_headers(device_id, secret, method, path, data, bridge.clock(), **sign)


async def send(
    bridge: Bridge, method: str, path: str, data: Any = b"", headers: dict[str, str] | None = None
) -> ClientResponse:
    return await bridge.client.request(method, path, data=data, headers=headers or {})


async def refusal(response: ClientResponse, status: int, code: str) -> str:
    """Assert BRIDGE.md's error answer exactly (status, body shape, code); return the message."""
    body = await response.json()
    assert response.status == status, body
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    message = body["error"]["message"]
    assert isinstance(message, str) and message, body
    return message


async def accepted(response: ClientResponse) -> dict[str, Any]:
    body = await response.json()
    assert response.status == 200, body
    return dict(body)


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def snapshot(seq: int = 1, **account: Any) -> dict[str, Any]:
    return snapshot_body(seq=seq, **account)


async def second_device(core: Core) -> LinkedDevice:
    return await link_device(core, telegram_id=4343, login=5099999)


def as_device(bridge: Bridge, device: LinkedDevice) -> Bridge:
    return Bridge(bridge.client, device, bridge.clock)


async def account_id_of(core: Core, login: int) -> int:
    async with core.engine.connect() as connection:
        found = await connection.execute(
            text("SELECT id FROM accounts WHERE login = :login"), {"login": login}
        )
        return int(found.scalar_one())


INSERT_COMMAND = text(
    """
    INSERT INTO commands (id, account_id, dedupe_key, type, body, status, created_at, expires_at)
    VALUES (:id, :account_id, :key, 'lock', CAST(:body AS JSONB), 'pending', :created_at, :expires_at)
    """
)


async def add_command(
    core: Core, account_id: int, command_id: str, created_at: datetime, expires_at: datetime
) -> dict[str, Any]:
    """A pending `lock` command, written straight to the store: the API's handling of commands,
    apart from whatever the guard decides to issue."""
    body = {
        "id": command_id,
        "type": "lock",
        "reason": "admin",
        "created_at": created_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "expires_at": expires_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
    }
    async with core.engine.begin() as connection:
        await connection.execute(
            INSERT_COMMAND,
            {
                "id": command_id,
                "account_id": account_id,
                "key": f"test:{command_id}",
                "body": json.dumps(body),
                "created_at": created_at,
                "expires_at": expires_at,
            },
        )
    return body
