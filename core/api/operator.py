"""The operator API (signal engine, payments): bearer tokens signed with SECRET_KEY (PyJWT, HS256)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import jwt
from aiohttp import web

from core.api.errors import HttpError, json_response
from core.domain.models import AccountView
from core.services.bridge import utc_iso
from core.services.errors import NotFound
from core.services.queries import AccountQueries
from core.services.secrets import derive_key

ROLES = ("operator",)
QUERIES = web.AppKey("queries", AccountQueries)
TOKEN_KEY = web.AppKey("token_key", bytes)


def operator_key(secret_key: str) -> bytes:
    return derive_key(secret_key, "operator-tokens")


def issue_token(key: bytes, role: str, now: datetime) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    return jwt.encode(
        {"role": role, "iat": int(now.timestamp()), "iss": "tradeguard"}, key, algorithm="HS256"
    )


def require_operator(request: web.Request) -> dict[str, Any]:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise HttpError(401, "unauthorized", "Authorization: Bearer <token> required")
    try:
        claims: dict[str, Any] = jwt.decode(
            header.removeprefix("Bearer ").strip(),
            request.app[TOKEN_KEY],
            algorithms=["HS256"],
            issuer="tradeguard",
        )
    except jwt.PyJWTError as error:
        raise HttpError(401, "unauthorized", f"invalid token: {error}") from None
    if claims.get("role") not in ROLES:
        raise HttpError(403, "forbidden", "this token may not use the operator API")
    return claims


def _login(request: web.Request) -> int:
    text = request.match_info["login"]
    if not (text.isascii() and text.isdigit() and len(text) <= 19) or not 0 < int(text) < 2**63:
        raise HttpError(400, "invalid_payload", "login: must be a positive integer")
    return int(text)


async def _view(request: web.Request) -> AccountView:
    require_operator(request)
    try:
        return await request.app[QUERIES].view_by_login(_login(request))
    except NotFound:
        raise HttpError(404, "not_found", "no such account") from None


async def account_status(request: web.Request) -> web.Response:
    view = await _view(request)
    return json_response(
        {
            "login": view.login,
            "server": view.server,
            "currency": view.currency,
            "balance": view.balance,
            "equity": view.equity,
            "floating_pnl": view.floating_pnl,
            "peak_equity": view.peak_equity,
            "drawdown_percent": view.drawdown_percent,
            "margin_level_percent": view.margin_level_percent,
            "last_snapshot_at": utc_iso(view.last_snapshot_at) if view.last_snapshot_at else None,
        }
    )


async def account_positions(request: web.Request) -> web.Response:
    view = await _view(request)
    return json_response({"login": view.login, "positions": list(view.positions)})


def add_operator_routes(app: web.Application) -> None:
    app.router.add_get("/v1/accounts/{login}/status", account_status)
    app.router.add_get("/v1/accounts/{login}/positions", account_positions)
