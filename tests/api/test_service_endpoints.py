"""/health, /ready, /metrics, a dependency outage, and the error body of every non-2xx answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Core, build_http_app, open_core
from core.api.app import mark_started
from tests.api.conftest import Bridge
from tests.api.state import stored
from tests.api.wire import COMMANDS, PING, SNAPSHOT, accepted, refusal, snapshot
from tests.conftest import FakeClock, make_settings


async def test_health_answers_503_starting_until_the_app_is_marked_started_then_200(bridge: Bridge) -> None:
    response = await bridge.client.get("/health")
    await refusal(response, 503, "starting")
    assert int(response.headers["Retry-After"]) >= 1
    mark_started(bridge.client.server.app)
    assert await accepted(await bridge.client.get("/health")) == {"status": "ok"}


async def test_ready_answers_200_listing_postgres_and_redis_as_ok(bridge: Bridge) -> None:
    body = await accepted(await bridge.client.get("/ready"))
    assert body.pop("audit")["head"] is not None  # the audit chain's head: tests/api/test_audit_ready.py
    assert body == {"ready": True, "down": [], "checks": {"postgres": "ok", "redis": "ok"}}


async def test_metrics_serves_prometheus_text_counting_requests_by_route_and_status(bridge: Bridge) -> None:
    await accepted(await bridge.call("GET", PING))
    await refusal(await bridge.client.get(PING), 401, "missing_header")
    response = await bridge.client.get("/metrics")
    body = await response.text()
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "# TYPE tradeguard_http_requests_total counter" in body
    assert 'tradeguard_http_requests_total{route="/v1/bridge/ping",status="200"} 1.0' in body
    assert 'tradeguard_http_requests_total{route="/v1/bridge/ping",status="401"} 1.0' in body


async def test_requests_to_unknown_paths_are_counted_under_one_label_not_one_per_path(bridge: Bridge) -> None:
    for path in ("/wp-login.php", "/.env", "/v1/bridge/nothing"):
        await refusal(await bridge.client.get(path), 404, "not_found")
    body = await (await bridge.client.get("/metrics")).text()
    assert 'tradeguard_http_requests_total{route="unmatched",status="404"} 3.0' in body
    assert "wp-login" not in body


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/v1/bridge/unknown", 404, "not_found"),
        ("GET", SNAPSHOT, 405, "http_error"),
        ("DELETE", COMMANDS, 405, "http_error"),
    ],
    ids=["unknown-path", "get-on-snapshot", "delete-on-commands"],
)
async def test_every_non_2xx_answer_has_the_error_body_even_from_the_router(
    bridge: Bridge, method: str, path: str, status: int, code: str
) -> None:
    await refusal(await bridge.client.request(method, path), status, code)


# --- a dependency down -----------------------------------------------------------------------------


@pytest.fixture
async def redis_down(core: Core, clock: FakeClock, tmp_path: Path) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    """The same service and database, with Redis unreachable (nothing listens on port 1)."""
    settings = make_settings(tmp_path, redis_url="redis://127.0.0.1:1/0")
    async with open_core(settings, clock) as broken:
        async with TestClient(TestServer(build_http_app(broken, None))) as client:
            yield client


async def test_ready_answers_503_naming_redis_when_redis_is_down(redis_down: TestClient) -> None:  # type: ignore[type-arg]
    response = await redis_down.get("/ready")
    body = await response.json()
    assert response.status == 503
    assert body["ready"] is False
    assert body["down"] == ["redis"]
    assert body["checks"]["postgres"] == "ok"
    assert body["checks"]["redis"].startswith("down")


@pytest.mark.parametrize(("method", "path"), [("POST", SNAPSHOT), ("GET", PING), ("GET", COMMANDS)])
async def test_a_bridge_request_during_a_redis_outage_answers_503_unavailable_with_retry_after_never_500(
    bridge: Bridge,
    core: Core,
    redis_down: TestClient,  # type: ignore[type-arg]
    method: str,
    path: str,
) -> None:
    during_outage = Bridge(redis_down, bridge.device, bridge.clock)
    before = await stored(core)
    response = await during_outage.call(method, path, snapshot() if method == "POST" else None)
    await refusal(response, 503, "unavailable")
    assert int(response.headers["Retry-After"]) >= 1
    assert await stored(core) == before
    # ... and once Redis answers again, the very same client is served
    await accepted(await bridge.call(method, path, snapshot() if method == "POST" else None))
