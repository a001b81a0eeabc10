"""The daily anchor: the chain's head and count to every admin, once per UTC day (its dedupe key names the
day), rendered as the admins read it; nothing while the log is empty."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from bot.app import Core
from bot.i18n import translator
from bot.render.alerts import render_alert
from core.domain.alerts import AuditAnchor, StoredAlert, decode_alert
from core.domain.models import AuditEntry
from tests.conftest import FakeClock

ADMINS = (900001, 900002)


async def anchors(core: Core) -> list[tuple[str, int, StoredAlert]]:
    async with core.engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT dedupe_key, chat_id, kind, version, params FROM outbox"
                " WHERE kind = 'admin_audit_anchor' ORDER BY id"
            )
        )
        return [(row[0], row[1], StoredAlert(row[2], row[3], row[4])) for row in rows]


async def test_the_head_goes_to_every_admin_once_a_utc_day(core: Core, clock: FakeClock) -> None:
    chain = core.bot_services.audit
    clock.now = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    assert await chain.check_and_anchor(ADMINS, clock) == 0  # an empty log: nothing to anchor
    async with core.bot_services.users.uow() as uow:
        await uow.audit.append(AuditEntry("admin:1", "test.one", "account:1", {"why": "test"}), clock())
        await uow.commit()
    assert await chain.anchor(ADMINS, clock()) == 0  # not verified since it was written: the old head

    assert await chain.check_and_anchor(ADMINS, clock) == 2
    clock.advance(3599)  # 23:59:59, the same UTC day
    assert await chain.anchor(ADMINS, clock()) == 0
    clock.advance(2)  # the next UTC day
    assert await chain.anchor(ADMINS, clock()) == 2

    found = await anchors(core)
    assert [(key, chat) for key, chat, _ in found] == [
        ("audit:anchor:2026-12-01:900001", 900001), ("audit:anchor:2026-12-01:900002", 900002),
        ("audit:anchor:2026-12-02:900001", 900001), ("audit:anchor:2026-12-02:900002", 900002),
    ]  # fmt: skip
    head = await chain.head()
    assert head is not None
    alert = decode_alert(found[-1][2])
    assert isinstance(alert, AuditAnchor) and (alert.head_id, alert.head_hash, alert.entries) == (
        head.id, head.hash, 1,
    )  # fmt: skip
    told = render_alert(translator("en"), alert)
    assert "1 entry, head #" in told and f"--anchor {head.id}:{head.hash}" in told and "2026-12-02" in told
    report = await chain.verify((head.id, head.hash))  # what the admins were told verifies
    assert report.ok


async def test_a_broken_chain_is_not_anchored(core: Core, clock: FakeClock) -> None:
    async with core.bot_services.users.uow() as uow:
        for action in ("a.one", "a.two"):
            await uow.audit.append(AuditEntry("admin:1", action, "account:1", {"why": "test"}), clock())
        await uow.commit()
    async with core.engine.begin() as connection:
        await connection.execute(text("SET LOCAL session_replication_role = replica"))
        await connection.execute(text("UPDATE audit_log SET action = 'forged' WHERE action = 'a.one'"))

    assert await core.bot_services.audit.check_and_anchor(ADMINS, clock) == 0
    assert await anchors(core) == []
