"""GET /openapi.yaml: the OpenAPI 3 description of the bridge, operator and service endpoints."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from aiohttp import web

OPENAPI_PATH = Path(__file__).with_name("openapi.yaml")


@cache
def description() -> bytes:
    return OPENAPI_PATH.read_bytes()


async def openapi(request: web.Request) -> web.Response:
    return web.Response(body=description(), content_type="application/yaml", charset="utf-8")


def add_openapi_route(app: web.Application) -> None:
    app.router.add_get("/openapi.yaml", openapi)
