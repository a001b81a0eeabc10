"""The one aiohttp application: bridge, operator API, health, metrics and (optionally) the bot webhook."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest

from core.api.bridge import BRIDGE, CLOCK, RATE_LIMIT, add_bridge_routes
from core.api.errors import HttpError, error_response, json_response
from core.api.operator import QUERIES, TOKEN_KEY, add_operator_routes
from core.services.bridge import BridgeService
from core.services.queries import AccountQueries

log = logging.getLogger(__name__)
Check = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Webhook:
    """Telegram updates arrive here in webhook mode; the bot layer supplies `deliver`."""

    path: str
    secret: str
    deliver: Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class ApiDeps:
    bridge: BridgeService
    queries: AccountQueries
    clock: Callable[[], datetime]
    token_key: bytes
    rate_limit: Callable[[str], Awaitable[int | None]]
    readiness: Mapping[str, Check]
    unavailable_errors: tuple[type[BaseException], ...] = ()
    webhook: Webhook | None = None
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    loops: Callable[[], Mapping[str, str]] | None = None  # the worker's loops: "ok" or "degraded since …"


DEPS = web.AppKey("deps", ApiDeps)
REQUESTS = web.AppKey("requests", Counter)
STARTED: web.AppKey[dict[str, bool]] = web.AppKey("started")


def _route_name(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


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
    except deps.unavailable_errors as error:
        log.warning("dependency unavailable: %s", type(error).__name__)
        response = error_response(503, "unavailable", "temporarily unavailable, retry", retry_after=2)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        response = error_response(500, "internal", "internal error")
    request.app[REQUESTS].labels(_route_name(request), str(response.status)).inc()
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
    return json_response(body, status=503 if down else 200)


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[DEPS].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def webhook_handler(hook: Webhook) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), hook.secret.encode()):
            return error_response(401, "unauthorized", "bad or missing secret token")
        try:
            update = await request.json()
        except ValueError:
            return error_response(400, "invalid_json", "body is not JSON")
        await hook.deliver(update)
        return json_response({"ok": True})

    return receive


def create_app(deps: ApiDeps) -> web.Application:
    app = web.Application(middlewares=[errors_middleware], client_max_size=1024 * 1024)
    app[DEPS] = deps
    app[BRIDGE] = deps.bridge
    app[QUERIES] = deps.queries
    app[CLOCK] = deps.clock
    app[TOKEN_KEY] = deps.token_key
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
