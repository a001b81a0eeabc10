"""The operator API (signal engine, payments): bearer tokens (PyJWT, HS256) with an expiry and an id,
refused once expired or revoked (core.services.tokens)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from aiohttp import web

from core.api.attribution_schemas import attribution_json
from core.api.bridge import CLOCK, read_limited_body
from core.api.errors import HttpError, json_response
from core.api.schemas import InvalidJson, parse_json, validate
from core.api.signal_schemas import SignalIn, posted_json, to_signal
from core.domain.account_key import AccountKey, BadAccountKey, parse_account_key, parse_id
from core.domain.codec import encode_optional_time, encode_time, to_json
from core.domain.models import AccountView
from core.domain.signals import Signal
from core.services.attribution import AttributionService, parse_days
from core.services.errors import AmbiguousAccount, Forbidden, InvalidInput, NotFound
from core.services.queries import AccountQueries
from core.services.reconciliation import AccountReconciliation, ReconciliationService
from core.services.signals import SignalService
from core.services.tokens import (
    DEFAULT_TTL,
    ROLES,
    OperatorTokens,
    TokenRefused,
    new_jti,
    sign_token,
    token_key,
)

QUERIES = web.AppKey("queries", AccountQueries)
TOKENS = web.AppKey("tokens", OperatorTokens)
SIGNALS = web.AppKey("signals", SignalService)
RECONCILIATION = web.AppKey("reconciliation", ReconciliationService)


def operator_key(secret_key: str) -> bytes:
    return token_key(secret_key)


def issue_token(
    key: bytes, role: str, now: datetime, ttl: timedelta = DEFAULT_TTL, jti: str | None = None
) -> str:
    """A signed token, not recorded (OperatorTokens.issue records it, so it can be listed and revoked)."""
    return sign_token(key, role, now, ttl, jti or new_jti())


async def require_operator(request: web.Request) -> dict[str, Any]:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise HttpError(401, "unauthorized", "Authorization: Bearer <token> required")
    try:
        claims = await request.app[TOKENS].verify(header.removeprefix("Bearer ").strip())
    except TokenRefused as refused:
        raise HttpError(401, "unauthorized", str(refused)) from None
    if claims.get("role") not in ROLES:
        raise HttpError(403, "forbidden", "this token may not use the operator API")
    return claims


def _account_key(request: web.Request) -> AccountKey:
    try:
        return parse_account_key(request.match_info["login"])
    except BadAccountKey as error:
        raise HttpError(
            400, "invalid_payload", f"{error.field}: an account is <login> or <login>@<server>"
        ) from None


def _owner(request: web.Request) -> int | None:
    text = request.query.get("owner")
    if text is None:
        return None
    owner = parse_id(text)
    if owner is None:
        raise HttpError(400, "invalid_payload", "owner: a Telegram user id")
    return owner


async def _view(request: web.Request) -> AccountView:
    await require_operator(request)
    try:
        return await request.app[QUERIES].view_named(_account_key(request), _owner(request))
    except NotFound:
        raise HttpError(404, "not_found", "no such account") from None
    except AmbiguousAccount as error:
        raise HttpError(409, "ambiguous_account", str(error)) from None


async def account_status(request: web.Request) -> web.Response:
    view = await _view(request)
    return json_response(
        {
            "login": view.login,
            "server": view.server,
            "shared": view.shared,
            "currency": view.currency,
            "balance": view.balance,
            "equity": view.equity,
            "floating_pnl": view.floating_pnl,
            "peak_equity": view.peak_equity,
            "drawdown_percent": view.drawdown_percent,
            "margin_level_percent": view.margin_level_percent,
            "last_snapshot_at": encode_optional_time(view.last_snapshot_at, "milliseconds"),
        }
    )


async def account_positions(request: web.Request) -> web.Response:
    view = await _view(request)
    return json_response({"login": view.login, "positions": list(view.positions)})


def add_operator_routes(app: web.Application) -> None:
    app.router.add_get("/v1/accounts/{login}/status", account_status)
    app.router.add_get("/v1/accounts/{login}/positions", account_positions)


T = TypeVar("T")
R = TypeVar("R")


async def operator_post(
    request: web.Request,
    parse: Callable[[object, datetime], T],
    call: Callable[[str, T], Awaitable[R]],
) -> R:
    """An operator's POST: the token, the bounded body, `parse` (JSON to a domain value at the service's
    clock), then `call` with the token's role; bad JSON or input is a 400, a role without the right a 403."""
    claims = await require_operator(request)
    body = await read_limited_body(request)
    try:
        value = parse(parse_json(body), request.app[CLOCK]())
        return await call(str(claims.get("role")), value)
    except InvalidJson:
        raise HttpError(400, "invalid_json", "body is not JSON") from None
    except InvalidInput as error:
        raise HttpError(400, "invalid_payload", str(error)) from None
    except Forbidden as error:
        raise HttpError(403, "forbidden", str(error)) from None


async def post_signal(request: web.Request) -> web.Response:
    """201 with where a new signal went; 200 with the stored one when its id was posted before."""

    def parse(data: object, now: datetime) -> Signal:
        return to_signal(validate(SignalIn, data), now)

    posted = await operator_post(request, parse, request.app[SIGNALS].post)
    return json_response(posted_json(posted), status=201 if posted.created else 200)


def add_signal_routes(app: web.Application, signals: SignalService) -> None:
    app[SIGNALS] = signals
    app.router.add_post("/v1/signals", post_signal)


async def account_reconciliation(request: web.Request) -> web.Response:
    """The account's latest reconciliation pass and its open divergences (through the view cache)."""
    await require_operator(request)
    try:
        found = await request.app[RECONCILIATION].named(_account_key(request), _owner(request))
    except NotFound:
        raise HttpError(404, "not_found", "no such account") from None
    except AmbiguousAccount as error:
        raise HttpError(409, "ambiguous_account", str(error)) from None
    return json_response(reconciliation_json(found))


def reconciliation_json(found: AccountReconciliation) -> dict[str, Any]:
    summary = found.summary
    return {
        "login": found.login,
        "server": found.server,
        "reconciled_at": encode_optional_time(found.reconciled_at, "milliseconds"),
        "open": summary.total,
        "critical": summary.critical,
        "counts": {kind.value: count for kind, count in summary.counts},
        "divergences": [
            {
                "id": stored.divergence.id,
                "kind": stored.divergence.kind.value,
                "severity": stored.divergence.severity.value,
                "signal_id": stored.divergence.signal_id,
                "ticket": stored.divergence.ticket,
                "first_seen_at": encode_time(stored.first_seen_at, "milliseconds"),
                "evidence": to_json(stored.divergence.evidence),
            }
            for stored in found.open
        ],
    }


def add_reconciliation_routes(app: web.Application, reconciliation: ReconciliationService) -> None:
    app[RECONCILIATION] = reconciliation
    app.router.add_get("/v1/accounts/{login}/reconciliation", account_reconciliation)


# --- GET /v1/users/{telegram_id}/attribution (issue 10) ---------------------------------------------

ATTRIBUTION = web.AppKey("attribution", AttributionService)


async def user_attribution(request: web.Request) -> web.Response:
    """Each of the user's accounts: the bot and manual summaries and the closed trades, from stored
    deals; `?days=N` (1..3650) keeps the trades closed in the last N days."""
    claims = await require_operator(request)
    telegram_id = parse_id(request.match_info["telegram_id"])
    if telegram_id is None:
        raise HttpError(400, "invalid_payload", "telegram_id: a Telegram user id")
    try:
        days = parse_days(request.query.get("days"))
        found = await request.app[ATTRIBUTION].for_operator(str(claims.get("role")), telegram_id, days)
    except InvalidInput as error:
        raise HttpError(400, "invalid_payload", str(error)) from None
    except Forbidden as error:
        raise HttpError(403, "forbidden", str(error)) from None
    except NotFound:
        raise HttpError(404, "not_found", "no such user") from None
    return json_response(attribution_json(found))


def add_attribution_routes(app: web.Application, attribution: AttributionService) -> None:
    app[ATTRIBUTION] = attribution
    app.router.add_get("/v1/users/{telegram_id}/attribution", user_attribution)
