"""The one aiohttp application: bridge, operator API, health, metrics and (optionally) the bot webhook."""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest

from core.api.bridge import BRIDGE, CLOCK, RATE_LIMIT, add_bridge_routes, read_limited_body
from core.api.errors import ERROR_CODE, HttpError, error_response, json_response
from core.api.operator import QUERIES, TOKENS, add_operator_routes
from core.api.server import GUARD, ConnectionGuard, HttpLimits, RequestBodyTimeout, slow_client_middleware
from core.services.bridge import BridgeService
from core.services.queries import AccountQueries
from core.services.tokens import OperatorTokens

log = logging.getLogger(__name__)
Check = Callable[[], Awaitable[None]]
SECRET_TOKEN_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's deepest updates (a reply to a message quoting another) are about ten levels deep.
MAX_UPDATE_DEPTH = 32
# The characters and length Telegram accepts for setWebhook's secret_token (the settings check it too).
WEBHOOK_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class InvalidUpdate(ValueError):
    """`deliver` raises it for a body that is JSON but not a Telegram update: a 400, nothing delivered."""


@dataclass(frozen=True)
class Webhook:
    """Telegram updates arrive here in webhook mode; the bot layer supplies `deliver`.

    There is no webhook without a secret: Telegram sends it with every update, and a request without
    it is refused, whatever the wiring above passed in.
    """

    path: str
    secret: str
    deliver: Callable[[dict[str, Any]], Awaitable[None]]

    def __post_init__(self) -> None:
        if not WEBHOOK_SECRET_PATTERN.fullmatch(self.secret):
            raise ValueError("a webhook secret is 1-256 characters of A-Z a-z 0-9 _ - (never empty)")


@dataclass(frozen=True)
class ApiDeps:
    bridge: BridgeService
    queries: AccountQueries
    clock: Callable[[], datetime]
    tokens: OperatorTokens
    rate_limit: Callable[[str], Awaitable[int | None]]
    readiness: Mapping[str, Check]
    unavailable_errors: tuple[type[BaseException], ...] = ()
    webhook: Webhook | None = None
    limits: HttpLimits = field(default_factory=HttpLimits)
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    loops: Callable[[], Mapping[str, str]] | None = None  # the worker's loops: "ok" or "degraded since …"
    # more of the report, awaited (issue 13: the audit chain's head); a failure is shown, not judged
    ready_extras: Callable[[], Awaitable[Mapping[str, Any]]] | None = None


DEPS = web.AppKey("deps", ApiDeps)
REQUESTS = web.AppKey("requests", Counter)
STARTED: web.AppKey[dict[str, bool]] = web.AppKey("started")


def _route_name(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def _logged_path(request: web.Request) -> str:
    """The path as sent (still percent-encoded), with the names of query parameters but not their values."""
    names = "&".join(f"{name}=" for name in dict.fromkeys(request.rel_url.query))
    return request.rel_url.raw_path + (f"?{names}" if names else "")


@web.middleware
async def errors_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Map failures to BRIDGE.md's error body; a dependency outage is 503, never a bare 500."""
    deps = request.app[DEPS]
    try:
        response: web.StreamResponse = await handler(request)
    except HttpError as error:
        response = error.response()
    except web.HTTPException as error:
        code = "not_found" if error.status == 404 else "http_error"
        response = error_response(error.status, code, error.reason)
    except RequestBodyTimeout as error:  # before unavailable_errors: a slow client, not a slow dependency
        response = error_response(408, "request_timeout", str(error))
        response.force_close()
    except deps.unavailable_errors as error:
        log.warning("dependency unavailable: %s", type(error).__name__)
        response = error_response(503, "unavailable", "temporarily unavailable, retry", retry_after=2)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, _logged_path(request))
        response = error_response(500, "internal", "internal error")
    request.app[REQUESTS].labels(_route_name(request), str(response.status)).inc()
    if 400 <= response.status < 500:
        log.info(
            "refused %s %s: %s %s from %s",
            request.method,
            _logged_path(request),
            response.status,
            response.get(ERROR_CODE, "-"),
            request.remote,
        )
    return response


async def health(request: web.Request) -> web.Response:
    started = request.app[STARTED]
    if not started.get("ready"):
        return error_response(503, "starting", "not started yet", retry_after=1)
    return json_response({"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    results: dict[str, str] = {}
    for name, check in request.app[DEPS].readiness.items():
        try:
            await check()
            results[name] = "ok"
        except Exception as error:  # a readiness probe reports every failure, whatever its kind
            results[name] = f"down: {type(error).__name__}"
    down = [name for name, state in results.items() if state != "ok"]
    body: dict[str, Any] = {"ready": not down, "down": down, "checks": results}
    loops = request.app[DEPS].loops
    if loops is not None and (states := dict(loops())):  # shown, not judged: the checks above judge
        body["loops"] = states
    if (extras := request.app[DEPS].ready_extras) is not None:
        try:
            body |= {key: value for key, value in (await extras()).items() if key not in body}
        except Exception as error:  # the checks above judge the database; this only reports
            body["extras"] = f"down: {type(error).__name__}"
    return json_response(body, status=503 if down else 200)


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[DEPS].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def _nested_deeper_than(value: object, limit: int) -> bool:
    level: list[object] = [value]
    for _ in range(limit):
        level = [
            child
            for item in level
            for child in (item.values() if isinstance(item, dict) else item if isinstance(item, list) else ())
        ]
        if not level:
            return False
    return True


def parse_update(body: bytes) -> dict[str, Any]:
    """The body as an update object (a JSON object with an integer update_id), or a 400."""
    try:
        update = json.loads(body)
    except (ValueError, RecursionError):  # ValueError: bad UTF-8 or bad JSON
        raise HttpError(400, "invalid_json", "body is not JSON") from None
    if not isinstance(update, dict):
        raise HttpError(400, "invalid_update", "an update is a JSON object")
    update_id = update.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or not 0 <= update_id < 2**63:
        raise HttpError(400, "invalid_update", "update_id must be a non-negative integer")
    if _nested_deeper_than(update, MAX_UPDATE_DEPTH):
        raise HttpError(400, "invalid_update", f"an update is nested at most {MAX_UPDATE_DEPTH} deep")
    return update


def webhook_handler(hook: Webhook) -> Callable[[web.Request], Awaitable[web.Response]]:
    expected = hook.secret.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_TOKEN_HEADER, "")
        if not hmac.compare_digest(given.encode(), expected):
            return error_response(401, "unauthorized", "bad or missing secret token")
        update = parse_update(await read_limited_body(request))
        try:
            await hook.deliver(update)
        except InvalidUpdate as error:
            raise HttpError(400, "invalid_update", str(error)) from None
        return json_response({"ok": True})

    return receive


def create_app(deps: ApiDeps) -> web.Application:
    app = web.Application(
        middlewares=[errors_middleware, slow_client_middleware], client_max_size=1024 * 1024
    )
    app[DEPS] = deps
    app[GUARD] = ConnectionGuard(deps.limits)
    app[BRIDGE] = deps.bridge
    app[QUERIES] = deps.queries
    app[CLOCK] = deps.clock
    app[TOKENS] = deps.tokens
    app[RATE_LIMIT] = deps.rate_limit
    app[STARTED] = {"ready": False}
    app[REQUESTS] = Counter(
        "tradeguard_http_requests",
        "HTTP requests by route and status",
        ["route", "status"],
        registry=deps.registry,
    )
    add_bridge_routes(app)
    add_operator_routes(app)
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
    app.router.add_get("/metrics", metrics)
    if deps.webhook is not None:
        app.router.add_post(deps.webhook.path, webhook_handler(deps.webhook))
    return app


def mark_started(app: web.Application) -> None:
    app[STARTED]["ready"] = True
