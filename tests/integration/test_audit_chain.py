"""The audit chain on the real Postgres: a row changed, removed or inserted behind the service's back is
named by `tradeguard audit verify`; version 1 rows still verify; erasing personal values does not break it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.app import Core
from bot.audit import verify
from bot.cli import main
from core.domain.models import AuditEntry
from core.services.audit import GENESIS_HASH, audit_hash
from tests.conftest import FakeClock


async def append(core: Core, clock: FakeClock, *entries: AuditEntry) -> None:
    async with core.bot_services.users.uow() as uow:
        await uow.audit.append_many(list(entries), clock())
        await uow.commit()


async def tamper(core: Core, statement: str, **params: Any) -> None:
    """What an attacker with the database's password does: the append-only triggers switched off."""
    async with core.engine.begin() as connection:
        await connection.execute(text("SET LOCAL session_replication_role = replica"))
        await connection.execute(text(statement), params)


async def rows(core: Core, query: str) -> list[Any]:
    async with core.engine.connect() as connection:
        return list((await connection.execute(text(query))).all())


async def five(core: Core, clock: FakeClock) -> None:
    for n in range(5):
        subject = "account:7" if n % 2 else f"user:{1000 + n}"
        await append(core, clock, AuditEntry("admin:1", f"admin.step{n}", subject, {"note": f"n{n}"}))
        clock.advance(1)


async def test_an_untouched_log_verifies_with_its_count_and_head(core: Core, clock: FakeClock) -> None:
    await five(core, clock)
    code, line = await verify(core.bot_services.audit, None)
    ((head_id, head_hash),) = await rows(core, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
    assert (code, line) == (0, f"audit chain ok: 5 entries, head {head_id} {head_hash}")
    assert await verify(core.bot_services.audit, (head_id, head_hash)) == (0, line)


async def test_a_row_edited_in_postgres_is_named_and_verify_exits_1(core: Core, clock: FakeClock) -> None:
    await five(core, clock)
    await tamper(core, 'UPDATE audit_log SET details = \'{"note": "forged"}\' WHERE id = 3')
    code, line = await verify(core.bot_services.audit, None)
    assert code == 1
    assert line.startswith("audit chain broken at entry 3: changed: its hash does not recompute")


async def test_the_last_row_of_a_subject_removed_is_caught(core: Core, clock: FakeClock) -> None:
    await five(core, clock)
    await tamper(core, "DELETE FROM audit_log WHERE id = 4")  # account:7's last row
    code, line = await verify(core.bot_services.audit, None)
    assert code == 1
    assert "entry 5: a row before it was removed" in line


async def test_the_last_row_of_the_log_removed_is_caught_by_the_anchor_and_the_workers_check(
    core: Core, clock: FakeClock
) -> None:
    await five(core, clock)
    chain = core.bot_services.audit
    assert (await chain.check()).ok
    ((anchor_hash,),) = await rows(core, "SELECT hash FROM audit_log WHERE id = 5")
    await tamper(core, "DELETE FROM audit_log WHERE id = 5")
    code, line = await verify(chain, (5, anchor_hash))
    assert code == 1 and "entry 5: removed: the anchor's row is not in the log" in line
    again = await chain.check()
    assert (again.ok, again.broken_at) == (False, 5)


async def test_a_forged_row_inserted_between_two_rows_is_named(core: Core, clock: FakeClock) -> None:
    await five(core, clock)
    await tamper(core, "SELECT setval('audit_log_id_seq', 20)")
    await append(core, clock, AuditEntry("admin:1", "admin.after", "account:7", {}))
    (previous,) = await rows(core, "SELECT at, hash FROM audit_log WHERE id = 5")
    forged = AuditEntry("admin#1", "admin.forged", "account:7", {})
    from core.services.audit import audit_hash_v2

    digest = audit_hash_v2(previous.hash, previous.at, forged, None)
    await tamper(
        core,
        "INSERT INTO audit_log (id, at, actor, action, subject, details, prev_hash, hash, chain_prev,"
        " version) VALUES (9, :at, 'admin#1', 'admin.forged', 'account:7', '{}', :prev, :hash, :prev, 2)",
        at=previous.at, prev=previous.hash, hash=digest,
    )  # fmt: skip
    code, line = await verify(core.bot_services.audit, None)
    assert code == 1
    assert line.startswith("audit chain broken at entry 9: inserted: row 21 names the row before it")


async def test_version_1_rows_written_before_the_migration_still_verify(core: Core, clock: FakeClock) -> None:
    at = clock()
    previous: dict[str, str] = {}
    for n, subject in enumerate(["account:1", "account:2", "account:1"]):
        entry = AuditEntry("admin:9", f"old.{n}", subject, {"n": n})
        prev = previous.get(subject, GENESIS_HASH)
        previous[subject] = audit_hash(prev, at, entry)
        await tamper(
            core,
            "INSERT INTO audit_log (at, actor, action, subject, details, prev_hash, hash)"
            " VALUES (:at, 'admin:9', :action, :subject, CAST(:details AS jsonb), :prev, :hash)",
            at=at, action=entry.action, subject=subject, details=f'{{"n": {n}}}', prev=prev,
            hash=previous[subject],
        )  # fmt: skip
    await append(core, clock, AuditEntry("admin:9", "new.one", "account:1", {}))
    assert [r.version for r in await rows(core, "SELECT version FROM audit_log ORDER BY id")] == [1, 1, 1, 2]
    assert (await verify(core.bot_services.audit, None))[0] == 0
    await tamper(core, "UPDATE audit_log SET details = '{\"n\": 5}' WHERE id = 2")
    assert (await verify(core.bot_services.audit, None))[1].startswith(
        "audit chain broken at entry 2: changed"
    )


async def test_personal_values_are_kept_apart_and_erased_without_breaking_the_chain(
    core: Core, clock: FakeClock
) -> None:
    await append(
        core,
        clock,
        AuditEntry("user:1001", "referral.attributed", "user:2002", {"code": "ab", "referee": 1001}),
        AuditEntry("admin:1", "admin.lock", "account:7", {"note": "why"}),
    )
    stored = await rows(core, "SELECT actor, subject, details, personal FROM audit_log ORDER BY id")
    assert [(r.actor, r.subject, r.details) for r in stored] == [
        ("p:1", "p:2", {"code": "ab"}),
        ("p:1", "account:7", {"note": "why"}),
    ]
    assert stored[0].personal["values"] == {
        "actor": "user:1001", "subject": "user:2002", "details": {"referee": 1001},
        "telegram_ids": [1001, 2002],
    }  # fmt: skip
    async with core.bot_services.users.uow() as uow:
        erased = await uow.audit.erase_personal(1001, clock())
        await uow.commit()
    assert erased == 1
    after = await rows(
        core,
        "SELECT personal IS NULL AS gone, personal_digest IS NOT NULL AS kept FROM audit_log ORDER BY id",
    )
    assert [(r.gone, r.kept) for r in after] == [(True, True), (False, True)]
    assert (await verify(core.bot_services.audit, None))[0] == 0


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET action = 'forged'",
        'UPDATE audit_log SET personal = \'{"salt": "00", "values": {}}\'',
        "UPDATE audit_log SET personal = NULL, details = '{\"x\": 1}'",
        "DELETE FROM audit_log",
    ],
)
async def test_the_trigger_allows_erasing_personal_values_and_nothing_else(
    core: Core, clock: FakeClock, statement: str
) -> None:
    await append(core, clock, AuditEntry("admin:1", "admin.lock", "user:5", {"username": "ann"}))
    with pytest.raises(DBAPIError, match="append-only"):
        async with core.engine.begin() as connection:
            await connection.execute(text(statement))


def test_the_command_line_refuses_a_malformed_anchor(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["audit", "verify", "--anchor", "five"])
    assert exited.value.code == 2
    assert "ID:HASH" in capsys.readouterr().err


async def test_the_metrics_show_the_workers_last_check(core: Core, clock: FakeClock) -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    from bot.audit import AuditMetrics

    registry = CollectorRegistry()
    registry.register(AuditMetrics(core.bot_services.audit))
    before = generate_latest(registry).decode()  # no check yet: declared, nothing claimed
    assert "# TYPE tradeguard_audit_chain_ok gauge" in before and "\ntradeguard_audit_chain_ok " not in before
    await five(core, clock)
    await core.bot_services.audit.check()
    await tamper(core, "UPDATE audit_log SET action = 'forged' WHERE id = 2")
    await core.bot_services.audit.check()
    scraped = generate_latest(registry).decode()
    assert "tradeguard_audit_chain_ok 0.0" in scraped
    assert "tradeguard_audit_entries_total 1.0" in scraped
