"""The reference bridge client: speaks BRIDGE.md v1 to the server, as the MT5 Expert Advisor does.

Every request is signed over the exact path, query and body bytes that go on the wire. A 503 or
429 is retried after its `Retry-After`; a timeout or connection error is retried with a short
backoff, resending the same body (a snapshot keeps its `seq`, so the server de-duplicates it) with
a fresh nonce and signature. Money, prices and volumes travel as decimal strings, never floats.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import aiohttp
from yarl import URL

from core.bridge.signing import HEADER_DEVICE, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP, sign

JSONObject = dict[str, Any]
Sleep = Callable[[float], Awaitable[None]]

RETRYABLE_STATUSES = frozenset({0, 429, 503})


class BridgeError(Exception):
    """A refused or failed bridge request; `status` is 0 when no HTTP answer arrived."""

    def __init__(self, status: int, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.status in RETRYABLE_STATUSES


def iso_z(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, to the second, as in BRIDGE.md's examples."""
    if moment.tzinfo is None:
        raise ValueError("bridge times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def encode_json(payload: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON; Decimals become decimal strings, datetimes ISO 8601 with `Z`."""
    _reject_floats(payload)
    text = json.dumps(payload, default=_wire_value, separators=(",", ":"), ensure_ascii=False)
    return text.encode()


def decode_json(body: bytes) -> Any:
    """Parse an answer; numbers with a fraction become Decimals, never floats."""
    return json.loads(body, parse_float=Decimal)


def _wire_value(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return iso_z(value)
    raise TypeError(f"cannot send {type(value).__name__} over the bridge")


def _reject_floats(value: object) -> None:
    if isinstance(value, float):
        raise TypeError("floats are not sent over the bridge; use Decimal")
    if isinstance(value, Mapping):
        for item in value.values():
            _reject_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _reject_floats(item)


def parse_retry_after(header: str | None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP-date), if usable."""
    if not header:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def new_nonce() -> str:
    """32 characters of [A-Za-z0-9_-], from the OS's cryptographic generator."""
    return secrets.token_urlsafe(24)


class BridgeClient:
    """An aiohttp session that signs every request for one device; use `async with`."""

    def __init__(
        self,
        base_url: str,
        device_id: str,
        secret_hex: str,
        *,
        clock_offset: float = 0.0,
        timeout: float = 10.0,
        max_attempts: int = 5,
        retry_delay: float = 0.5,
        max_retry_delay: float = 30.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        bytes.fromhex(secret_hex)  # fail early on a mistyped secret
        self.base_url = base_url.rstrip("/")
        self.device_id = device_id
        self.clock_offset = clock_offset
        self._secret_hex = secret_hex
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._max_attempts = max(1, max_attempts)
        self._retry_delay = retry_delay
        self._max_retry_delay = max_retry_delay
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def ping(self) -> JSONObject:
        return await self._json_object("GET", "/v1/bridge/ping")

    async def snapshot(self, payload: Mapping[str, Any]) -> JSONObject:
        return await self._json_object("POST", "/v1/bridge/snapshot", encode_json(payload))

    async def commands(self) -> list[JSONObject]:
        answer = await self._json_object("GET", "/v1/bridge/commands")
        commands = answer.get("commands")
        if not isinstance(commands, list):
            raise BridgeError(200, "invalid_response", "answer has no `commands` list")
        return commands

    async def ack(
        self, command_id: str, status: str, results: list[JSONObject], message: str = ""
    ) -> JSONObject:
        path = f"/v1/bridge/commands/{quote(command_id, safe='')}/ack"
        body = encode_json({"status": status, "results": results, "message": message})
        return await self._json_object("POST", path, body)

    async def _json_object(self, method: str, path_qs: str, body: bytes = b"") -> JSONObject:
        answer = await self.request(method, path_qs, body)
        if not isinstance(answer, dict):
            raise BridgeError(200, "invalid_response", "answer is not a JSON object")
        return answer

    async def request(self, method: str, path_qs: str, body: bytes = b"") -> Any:
        """Send one signed request, retrying what BRIDGE.md says may be retried; the parsed answer."""
        for attempt in range(1, self._max_attempts + 1):
            try:
                return await self._attempt(method, path_qs, body)
            except BridgeError as error:
                if not error.retryable or attempt == self._max_attempts:
                    raise
                await self._sleep(self._delay_before_retry(error, attempt))
        raise AssertionError("unreachable")

    def _delay_before_retry(self, error: BridgeError, attempt: int) -> float:
        if error.retry_after is not None:
            return min(error.retry_after, self._max_retry_delay)
        return min(self._retry_delay * 2.0 ** (attempt - 1), self._max_retry_delay)

    async def _attempt(self, method: str, path_qs: str, body: bytes) -> Any:
        if self._session is None:
            raise RuntimeError("use BridgeClient as `async with BridgeClient(...) as client`")
        url = URL(self.base_url + path_qs, encoded=True)
        headers = self.signed_headers(method, url.raw_path_qs, body)
        try:
            async with self._session.request(method, url, data=body or None, headers=headers) as response:
                return _answer(response.status, response.headers, await response.read())
        except TimeoutError as error:
            raise BridgeError(0, "timeout", f"no answer within {self._timeout.total} s") from error
        except aiohttp.ClientError as error:
            raise BridgeError(0, "connection_error", str(error) or type(error).__name__) from error

    def signed_headers(self, method: str, path_qs: str, body: bytes) -> dict[str, str]:
        """The four X-TG headers (and Content-Type for a body), with a fresh nonce."""
        timestamp = str(int(time.time() + self.clock_offset))
        nonce = new_nonce()
        headers = {
            HEADER_DEVICE: self.device_id,
            HEADER_TIMESTAMP: timestamp,
            HEADER_NONCE: nonce,
            HEADER_SIGNATURE: sign(self._secret_hex, method, path_qs, timestamp, nonce, body),
        }
        if body:
            headers["Content-Type"] = "application/json"
        return headers


def _answer(status: int, headers: Mapping[str, str], body: bytes) -> Any:
    if 200 <= status < 300:
        try:
            return decode_json(body)
        except ValueError as error:
            raise BridgeError(status, "invalid_response", f"answer is not JSON: {error}") from error
    code, message = _error_fields(status, body)
    raise BridgeError(status, code, message, parse_retry_after(headers.get("Retry-After")))


def _error_fields(status: int, body: bytes) -> tuple[str, str]:
    try:
        error = decode_json(body)["error"]
        return str(error["code"]), str(error.get("message", ""))
    except (ValueError, TypeError, KeyError):
        return f"http_{status}", body.decode(errors="replace")[:200]
