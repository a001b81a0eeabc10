"""core/api/openapi.yaml describes the API the server runs: it is served, it names exactly the routes the
app has, and the answers of an ordinary session (a breach, its commands, their ack, the operator's views,
the service endpoints) are what it documents. The fuzzer (test_fuzz_api.py) holds the rest to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from bot.app import Core, build_http_app
from core.api.openapi import OPENAPI_PATH
from core.api.operator import issue_token
from core.config import Settings
from tests.api.conftest import Bridge
from tests.api.helpers import encode
from tests.api.served import address, served_bridge
from tests.api.test_fuzz_api import SCHEMA, SignEachRequest
from tests.api.wire import snapshot
from tests.conftest import FakeClock, make_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, liquidation_grace_seconds=0)


@pytest.fixture
async def bridge(core: Core, clock: FakeClock) -> AsyncIterator[Bridge]:
    async with served_bridge(core, clock) as served:
        yield served


def described_operations() -> set[tuple[str, str]]:
    paths = yaml.safe_load(OPENAPI_PATH.read_text())["paths"]
    return {(method.upper(), path) for path, item in paths.items() for method in item}


def test_the_description_names_exactly_the_routes_the_app_serves(core: Core) -> None:
    app = build_http_app(core, None)
    served = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.method != "HEAD" and route.resource is not None
    }
    assert served == described_operations()


async def test_the_description_is_served_as_yaml_at_openapi_yaml(bridge: Bridge) -> None:
    response = await bridge.client.get("/openapi.yaml")
    assert response.status == 200
    assert response.content_type == "application/yaml"
    served = yaml.safe_load(await response.read())
    assert served == yaml.safe_load(OPENAPI_PATH.read_text())
    assert served["openapi"].startswith("3.")


def conforms(method: str, path: str, response: requests.Response) -> Any:
    SCHEMA[path][method].validate_response(response)
    return response.json() if "json" in response.headers["Content-Type"] else response.text


def ordinary_session(base: str, auth: SignEachRequest, login: int) -> list[str]:
    """A breach, its commands and their ack, the operator's views, and the service endpoints; every answer
    checked against the description. The status codes seen, in order."""
    seen: list[str] = []
    with requests.Session() as session:
        session.auth = auth

        def call(method: str, path: str, url: str | None = None, body: Any = None) -> Any:
            data = None if body is None else encode(body)
            response = session.request(method, base + (url or path), data=data, timeout=10)
            seen.append(f"{method} {url or path} {response.status_code}")
            return conforms(method, path, response)

        call("POST", "/v1/bridge/snapshot", body=snapshot(seq=1))
        breach = call("POST", "/v1/bridge/snapshot", body=snapshot(seq=2, equity="50.00"))
        assert [command["type"] for command in breach["commands"]] == ["close_all", "lock"]
        call("POST", "/v1/bridge/snapshot", body=snapshot(seq=2))  # a duplicate
        listed = call("GET", "/v1/bridge/commands")
        ack = {"status": "done", "results": [{"ticket": 123456, "closed_volume": "0.10"}], "message": ""}
        ack_path = "/v1/bridge/commands/{command_id}/ack"
        call("POST", ack_path, f"/v1/bridge/commands/{listed['commands'][0]['id']}/ack", ack)
        call("POST", ack_path, "/v1/bridge/commands/cmd_nosuch/ack", ack)
        call("GET", "/v1/bridge/ping")
        for view in ("status", "positions"):
            call("GET", f"/v1/accounts/{{login}}/{view}", f"/v1/accounts/{login}/{view}")
            call("GET", f"/v1/accounts/{{login}}/{view}", f"/v1/accounts/{login + 1}/{view}")
            call("GET", f"/v1/accounts/{{login}}/{view}", f"/v1/accounts/x{login}/{view}")
        for path in ("/health", "/ready", "/metrics", "/openapi.yaml"):
            call("GET", path)
    return seen


async def test_the_answers_of_an_ordinary_session_are_what_the_description_documents(
    bridge: Bridge, core: Core, clock: FakeClock
) -> None:
    host, port = address(bridge)
    auth = SignEachRequest(bridge, issue_token(core.token_key, "operator", clock()))
    seen = await asyncio.to_thread(ordinary_session, f"http://{host}:{port}", auth, bridge.device.login)
    bridge_calls = ["200"] * 5 + ["404", "200"]  # snapshots, commands, ack; unknown ack; ping
    operator_calls = ["200", "404", "400"] * 2  # the account; no such account; not a login
    assert [line.rsplit(" ", 1)[1] for line in seen] == bridge_calls + operator_calls + ["200"] * 4, seen
