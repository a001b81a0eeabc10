"""The outbox and the audit log on the real Postgres: races, leases, digests, append-only."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.app import Core
from core.domain.alerts import AdminDigest, TradingLocked, WentSilent
from core.domain.models import Alert, AuditEntry
from core.services.admin_digest import DIGEST_WINDOW_SECONDS, add_to_admin_digest
from core.services.audit import GENESIS_HASH, VERSION, audit_hash_v2, personal_digest
from tests.conftest import FakeClock


def locked(login: int) -> TradingLocked:
    return TradingLocked(login=login, server="Broker-Live", currency="USD")


def went_silent(login: int) -> WentSilent:
    return WentSilent(login=login, server="Broker-Live", last_contact=datetime(2026, 11, 27, 21, tzinfo=UTC))


async def add_alerts(core: Core, count: int, chat_id: int = 77, prefix: str = "test") -> None:
    async with core.bot_services.users.uow() as uow:
        for n in range(count):
            await uow.outbox.add(Alert(f"{prefix}:{n}", chat_id, locked(n)))
        await uow.commit()


async def test_an_alert_recorded_twice_with_one_dedupe_key_is_stored_once(core: Core) -> None:
    async with core.bot_services.users.uow() as uow:
        first = await uow.outbox.add(Alert("same-key", 1, locked(1)))
        second = await uow.outbox.add(Alert("same-key", 1, locked(2)))
        await uow.commit()
    assert (first, second) == (True, False)
    assert (await core.delivery.backlog()) == {"pending": 1}


async def test_two_relays_claiming_at_once_never_share_a_chat_and_take_each_chats_first_alerts(
    core: Core,
) -> None:
    for chat in range(1, 11):
        await add_alerts(core, 5, chat_id=chat, prefix=f"chat{chat}")
    first, second = await asyncio.gather(core.delivery.claim(30), core.delivery.claim(30))
    ids = [a.id for a in first] + [a.id for a in second]
    assert len(ids) == len(set(ids)) == 30
    assert not {a.chat_id for a in first} & {a.chat_id for a in second}
    for chat in range(1, 11):
        claimed = [a.id for a in first + second if a.chat_id == chat]
        owed = (chat - 1) * 5 + 1
        assert claimed == list(range(owed, owed + len(claimed)))  # its oldest, in order
    assert await core.delivery.claim(30) == []  # every chat is held by a claim


async def test_a_claimed_alert_is_claimed_again_only_after_its_lease_ends(
    core: Core, clock: FakeClock
) -> None:
    await add_alerts(core, 1)
    claimed = await core.delivery.claim()
    assert len(claimed) == 1
    assert await core.delivery.claim() == []
    clock.advance(61)
    again = await core.delivery.claim()
    assert [a.id for a in again] == [claimed[0].id]
    assert again[0].attempts == 2


async def test_a_delivered_alert_is_never_claimed_again(core: Core, clock: FakeClock) -> None:
    await add_alerts(core, 1)
    (alert,) = await core.delivery.claim()
    await core.delivery.delivered(alert)
    clock.advance(3600)
    assert await core.delivery.claim() == []
    assert await core.delivery.backlog() == {"sent": 1}


async def test_a_failed_send_is_retried_after_the_backoff_not_before(core: Core, clock: FakeClock) -> None:
    await add_alerts(core, 1)
    (alert,) = await core.delivery.claim()
    await core.delivery.retry_later(alert, "network down")
    clock.advance(1)
    assert await core.delivery.claim() == []
    clock.advance(2)
    assert len(await core.delivery.claim()) == 1


async def test_retry_after_from_telegram_sets_the_next_attempt(core: Core, clock: FakeClock) -> None:
    await add_alerts(core, 1)
    (alert,) = await core.delivery.claim()
    await core.delivery.retry_later(alert, "429", after_seconds=17)
    clock.advance(16)
    assert await core.delivery.claim() == []
    clock.advance(1.5)
    assert len(await core.delivery.claim()) == 1


async def test_digest_items_for_one_window_become_one_alert(core: Core, clock: FakeClock) -> None:
    deliver_at = clock() + timedelta(seconds=10)
    async with core.bot_services.users.uow() as uow:
        for login in (1, 2, 3):
            alert = Alert("digest:test", 5, AdminDigest((went_silent(login),)))
            await uow.outbox.add_to_digest(alert, deliver_at)
        await uow.commit()
    assert await core.delivery.claim() == []
    clock.advance(11)
    (digest,) = await core.delivery.claim()
    assert isinstance(digest.body, AdminDigest)
    assert [item.login for item in digest.body.items] == [1, 2, 3]


async def test_a_digest_item_arriving_while_the_digest_is_being_sent_joins_the_next_window(
    core: Core, clock: FakeClock
) -> None:
    async def add(n: int) -> None:
        async with core.bot_services.users.uow() as uow:
            await add_to_admin_digest(uow, (5,), [went_silent(n)], clock())
            await uow.commit()

    await add(1)
    clock.advance(DIGEST_WINDOW_SECONDS + 1.5)
    (sending,) = await core.delivery.claim()
    await add(2)
    await add(3)
    await core.delivery.delivered(sending)
    assert await core.delivery.claim() == []  # waits for its own window: one message, not one each
    clock.advance(DIGEST_WINDOW_SECONDS + 1)
    (next_window,) = await core.delivery.claim()
    assert isinstance(sending.body, AdminDigest) and isinstance(next_window.body, AdminDigest)
    assert [item.login for item in sending.body.items] == [1]
    assert [item.login for item in next_window.body.items] == [2, 3]


async def append(core: Core, clock: FakeClock, subject: str, action: str) -> None:
    async with core.bot_services.users.uow() as uow:
        await uow.audit.append(AuditEntry("admin:1", action, subject, {"why": "test"}), clock())
        await uow.commit()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log", "TRUNCATE audit_log"],
)
async def test_the_audit_log_refuses_to_be_rewritten(core: Core, clock: FakeClock, statement: str) -> None:
    await append(core, clock, "account:1", "admin.lock")
    with pytest.raises(DBAPIError, match="append-only"):
        async with core.engine.begin() as connection:
            await connection.execute(text(statement))
    async with core.engine.connect() as connection:
        actions = (await connection.execute(text("SELECT action FROM audit_log"))).scalars().all()
    assert actions == ["admin.lock"]


async def test_each_audit_row_hashes_the_previous_row_whatever_its_subject(
    core: Core, clock: FakeClock
) -> None:
    for action in ("a.one", "a.two"):
        await append(core, clock, "account:1", action)
    await append(core, clock, "account:2", "b.one")
    async with core.engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT at, actor, action, subject, details, chain_prev, hash, version, personal,"
                    " personal_digest FROM audit_log ORDER BY id"
                )
            )
        ).all()
    previous = GENESIS_HASH
    for at, actor, action, subject, details, chain_prev, stored, version, personal, digest in rows:
        assert version == VERSION and chain_prev == previous  # one chain: the row before by id
        assert actor == "p:1" and personal["values"]["actor"] == "admin:1"  # no Telegram id in the clear
        assert digest == personal_digest(personal)
        assert stored == audit_hash_v2(chain_prev, at, AuditEntry(actor, action, subject, details), digest)
        previous = stored
    assert rows[2][5] == rows[1][6]  # account:2 continues the chain account:1 left, not a chain of its own
