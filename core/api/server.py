"""Serving the app: aiohttp behind a guard that drops slow and greedy clients.

aiohttp itself bounds how long a connection may sit idle (`keepalive_timeout`, from the connection's
start and after each answer) but not how long a request's headers or body may take to arrive, nor how
many connections one address holds. Those are done here, at the two places aiohttp leaves open:

- each connection's protocol is wrapped (`ConnectionGuard`): it counts connections per IP (one over
  the cap is answered 503 and closed at once) and starts the header clock when the connection opens
  and, between requests, at the next request's first byte (until then it is keep-alive idle time);
- a middleware (`slow_client_middleware`) stops the header clock when aiohttp hands over a request
  (its headers are complete) and runs the body clock until the body has arrived. A body that misses
  it fails the handler's read with `RequestBodyTimeout`, which the errors middleware answers 408.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from core.api.errors import error_response

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HttpLimits:
    """README, "Slow clients and the reverse proxy"; seconds, and 0 connections per IP for no cap."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keepalive: float = 75.0
    max_connections_per_ip: int = 64


class RequestBodyTimeout(TimeoutError):
    """The body did not arrive in time. A TimeoutError, so aiohttp closes the connection quietly."""


def raw_error(status: int, code: str, message: str, retry_after: int | None = None) -> bytes:
    """A whole HTTP/1.1 answer with BRIDGE.md's error body, for a connection no handler will see."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    head = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *([f"Retry-After: {retry_after}"] if retry_after is not None else []),
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _peer_ip(transport: asyncio.BaseTransport) -> str:
    peer = transport.get_extra_info("peername")
    return str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"


class _GuardedConnection(asyncio.Protocol):
    """One connection: aiohttp's own protocol inside, the per-IP count and the header clock outside."""

    def __init__(self, guard: ConnectionGuard, inner: asyncio.Protocol) -> None:
        self._guard = guard
        self._inner = inner
        self._transport: asyncio.Transport | None = None
        self.ip = "unknown"
        self._admitted = False
        self._in_request = False
        self._header_clock: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self.ip = _peer_ip(transport)
        if not self._guard.admit(self, transport):
            log.info("refused connection from %s: over HTTP_MAX_CONNECTIONS_PER_IP", self.ip)
            message = "too many connections from your address; retry"
            transport.write(raw_error(503, "unavailable", message, retry_after=1))
            transport.close()
            return
        self._admitted = True
        self._inner.connection_made(transport)
        self._start_header_clock()  # a new connection owes its first request at once, as in nginx

    def data_received(self, data: bytes) -> None:
        if not self._in_request and self._header_clock is None:  # the first byte of a next request
            self._start_header_clock()
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._admitted else None

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_clock()
        if self._admitted:
            self._guard.release(self, self._transport)
            self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def request_started(self) -> None:
        self._in_request = True
        self._stop_header_clock()

    def request_finished(self) -> None:
        self._in_request = False

    def _start_header_clock(self) -> None:
        loop = asyncio.get_running_loop()
        self._header_clock = loop.call_later(self._guard.limits.header_timeout, self._headers_too_slow)

    def _stop_header_clock(self) -> None:
        if self._header_clock is not None:
            self._header_clock.cancel()
            self._header_clock = None

    def _headers_too_slow(self) -> None:
        self._header_clock = None
        if self._transport is None or self._transport.is_closing():
            return
        seconds = self._guard.limits.header_timeout
        log.info("closed connection from %s: request headers not complete within %g s", self.ip, seconds)
        message = f"request headers not complete within {seconds:g} s"
        self._transport.write(raw_error(408, "request_timeout", message))
        self._transport.close()


class ConnectionGuard:
    """Every connection of one server: how many each IP holds, and which is in a request."""

    def __init__(self, limits: HttpLimits) -> None:
        self.limits = limits
        self._per_ip: Counter[str] = Counter()
        self._connections: dict[asyncio.BaseTransport, _GuardedConnection] = {}

    def protocol_factory(self, inner: Callable[[], asyncio.Protocol]) -> Callable[[], asyncio.Protocol]:
        return lambda: _GuardedConnection(self, inner())

    def admit(self, connection: _GuardedConnection, transport: asyncio.BaseTransport) -> bool:
        cap = self.limits.max_connections_per_ip
        if cap and self._per_ip[connection.ip] >= cap:
            return False
        self._per_ip[connection.ip] += 1
        self._connections[transport] = connection
        return True

    def release(self, connection: _GuardedConnection, transport: asyncio.BaseTransport | None) -> None:
        if transport is not None:
            self._connections.pop(transport, None)
        self._per_ip[connection.ip] -= 1
        if self._per_ip[connection.ip] <= 0:
            del self._per_ip[connection.ip]

    def connections_from(self, ip: str) -> int:
        return self._per_ip[ip]

    def request_started(self, transport: asyncio.BaseTransport | None) -> None:
        connection = self._connections.get(transport) if transport is not None else None
        if connection is not None:  # None under a test server, which does not use the guard
            connection.request_started()

    def request_finished(self, transport: asyncio.BaseTransport | None) -> None:
        connection = self._connections.get(transport) if transport is not None else None
        if connection is not None:
            connection.request_finished()


GUARD = web.AppKey("connection_guard", ConnectionGuard)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def slow_client_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    guard = request.app[GUARD]
    guard.request_started(request.transport)
    body_clock = None
    if not request.content.is_eof():
        seconds = guard.limits.body_timeout
        timeout = RequestBodyTimeout(f"request body not complete within {seconds:g} s")
        body_clock = asyncio.get_running_loop().call_later(seconds, request.content.set_exception, timeout)
        request.content.on_eof(body_clock.cancel)
    try:
        return await handler(request)
    finally:
        if body_clock is not None:
            body_clock.cancel()
        guard.request_finished(request.transport)


def _malformed(exc_info: Any) -> HttpProcessingError | None:
    error = exc_info if isinstance(exc_info, BaseException) else sys.exc_info()[1] if exc_info else None
    return error if isinstance(error, HttpProcessingError) else None


class _ServerLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """aiohttp's server logger: a malformed request is one line, never a traceback with the client's bytes.

    aiohttp logs a request it cannot parse with `logger.exception` (or `logger.debug`, for a bad method
    on a first request: TLS or junk), traceback and raw request bytes included. Here each is one INFO
    line naming the remote and the parser's reason, like every other refused request. Anything else
    aiohttp logs with `exception` is a defect and stays an ERROR with its traceback.
    """

    def exception(self, msg: object, *args: object, exc_info: Any = True, **kwargs: Any) -> None:
        if (error := _malformed(exc_info)) is not None:
            self._refused(error, args)
        else:
            super().exception(msg, *args, exc_info=exc_info, **kwargs)

    def debug(self, msg: object, *args: object, exc_info: Any = None, **kwargs: Any) -> None:
        if (error := _malformed(exc_info)) is not None:
            self._refused(error, args)
        else:
            super().debug(msg, *args, exc_info=exc_info, **kwargs)

    def _refused(self, error: HttpProcessingError, args: tuple[object, ...]) -> None:
        remote = args[0] if args else "unknown"
        reason = parser_reason(error)
        self.logger.info("refused malformed request from %s: %s %s", remote, error.code, reason)


class _DocumentedErrors(RequestHandler):
    """aiohttp answers a request it cannot parse (a NUL or raw UTF-8 in the path, a request line over its
    limit, a bad header) itself, as text/plain quoting the client's bytes, before any middleware runs.
    Here the answer is BRIDGE.md's error body instead; logging and closing stay aiohttp's."""

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        super().handle_error(request, status, exc, message)  # logs (one INFO line) or raises if sent
        if status >= 500:
            answer = error_response(status, "internal", "internal error")
        else:
            answer = error_response(status, "invalid_request", parser_reason(exc))
        answer.force_close()
        return answer


def parser_reason(exc: BaseException | None) -> str:
    """The parser's reason, for the log and the answer alike: its first line up to the first colon,
    without the request bytes it quotes after it."""
    text = str(exc.message) if isinstance(exc, HttpProcessingError) else ""
    first = (text.strip().splitlines() or ["malformed HTTP request"])[0]
    return first.split(":")[0].strip()[:120] or "malformed HTTP request"


class _GuardedSite(web.BaseSite):
    """A TCP site whose connections go through the guard (aiohttp's TCPSite, with one protocol wrap)."""

    def __init__(self, runner: web.AppRunner, guard: ConnectionGuard, host: str, port: int) -> None:
        super().__init__(runner)
        self._guard = guard
        self._host = host
        self._port = port

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        # reuse_port: several `tradeguard run --only api` processes may share one port (Linux balances)
        loop = asyncio.get_running_loop()

        def handler() -> RequestHandler:  # as aiohttp's Server makes them (its kwargs are private)
            return _DocumentedErrors(server, loop=loop, **server._kwargs)

        self._server = await loop.create_server(
            self._guard.protocol_factory(handler), self._host, self._port, reuse_port=True
        )


@contextlib.asynccontextmanager
async def serve_http(app: web.Application, host: str, port: int) -> AsyncIterator[web.AppRunner]:
    """Serve `app` on host:port with its limits (the app's GUARD); stopped on exit."""
    guard = app[GUARD]
    runner = web.AppRunner(
        app,
        access_log=None,
        auto_decompress=False,  # bridge bodies are signed as sent: an encoded one is a 415, never inflated
        keepalive_timeout=guard.limits.keepalive,
        logger=_ServerLog(logging.getLogger("aiohttp.server")),
    )
    await runner.setup()
    try:
        await _GuardedSite(runner, guard, host, port).start()
        yield runner
    finally:
        await runner.cleanup()
