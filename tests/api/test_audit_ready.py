"""/ready reports the audit chain's head (id and hash) and its count, as `tradeguard audit verify` and the
daily anchor name it; reading it failing is shown, not judged (the checks judge the database)."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text

from bot.app import Core, build_http_app
from core.domain.models import AuditEntry
from tests.api.conftest import Bridge
from tests.api.wire import accepted
from tests.conftest import FakeClock


async def stored_head(core: Core) -> tuple[int, str, int]:
    async with core.engine.connect() as connection:
        last = (
            await connection.execute(text("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1"))
        ).one()
        count = await connection.scalar(text("SELECT count(*) FROM audit_log"))
    return last.id, last.hash, int(count or 0)


async def test_ready_names_the_last_audit_row_and_follows_each_append(
    bridge: Bridge, core: Core, clock: FakeClock
) -> None:
    first = (await accepted(await bridge.client.get("/ready")))["audit"]
    async with core.bot_services.users.uow() as uow:
        await uow.audit.append(AuditEntry("admin:1", "test.one", "account:1", {"why": "test"}), clock())
        await uow.commit()

    second = (await accepted(await bridge.client.get("/ready")))["audit"]

    last_id, last_hash, count = await stored_head(core)
    assert second == {"head": {"id": last_id, "hash": last_hash}, "entries": count}
    assert second["entries"] == first["entries"] + 1 and second["head"] != first["head"]


async def test_ready_shows_an_empty_log_as_no_head(core: Core) -> None:
    async with TestClient(TestServer(build_http_app(core, None))) as client:
        body = await accepted(await client.get("/ready"))
    assert body["audit"] == {"head": None, "entries": 0} and body["ready"] is True


async def test_ready_reports_an_unreadable_head_without_judging_it(core: Core) -> None:
    async def broken() -> None:
        raise ConnectionError("gone")

    core.bot_services.audit.head = broken  # type: ignore[method-assign,assignment]
    async with TestClient(TestServer(build_http_app(core, None))) as client:
        response = await client.get("/ready")
        body = await response.json()
    assert response.status == 200 and body["ready"] is True
    assert body["extras"] == "down: ConnectionError" and "audit" not in body
