"""The outbox is claimed per chat on the real Postgres: a chat's alerts are leased by one relay at a
time, oldest first, and an alert that failed holds back the chat's later ones until it is settled."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from bot.app import Core
from core.domain.alerts import AdminDigest, TradingLocked
from core.domain.models import Alert
from core.services.alerts import LEASE_SECONDS
from tests.conftest import FakeClock
from tests.integration.test_outbox_and_audit import went_silent


async def owe(core: Core, chat_id: int, *keys: str) -> None:
    async with core.bot_services.users.uow() as uow:
        for n, key in enumerate(keys):
            await uow.outbox.add(
                Alert(key, chat_id, TradingLocked(login=n, server="Broker-Live", currency="USD"))
            )
        await uow.commit()


async def statuses(core: Core) -> list[tuple[str, str]]:
    async with core.engine.connect() as connection:
        rows = await connection.execute(text("SELECT dedupe_key, status FROM outbox ORDER BY id"))
        return [(key, status) for key, status in rows.all()]


async def test_a_failed_alert_holds_back_its_chats_later_alerts_until_its_retry(
    core: Core, clock: FakeClock
) -> None:
    await owe(core, 7, "warning", "liquidated", "locked")
    await owe(core, 8, "elsewhere")
    first, second, third, other = await core.delivery.claim()
    await core.delivery.retry_later(first, "network down")
    await core.delivery.release([second, third])
    await core.delivery.delivered(other)

    assert await core.delivery.claim() == []  # "liquidated" never overtakes the warning that failed
    clock.advance(3)
    again = await core.delivery.claim()
    assert [a.id for a in again] == [first.id, second.id, third.id]
    assert [a.attempts for a in again] == [2, 1, 1]  # given back unsent: no attempt counted


async def test_a_chat_held_by_one_relay_is_taken_by_another_only_after_the_lease_ends(
    core: Core, clock: FakeClock
) -> None:
    await owe(core, 7, "one", "two", "three")
    one, two, three = await core.delivery.claim()
    await core.delivery.delivered(one)
    await owe(core, 7, "four")  # new for a held chat: waits for the chat, not for a relay

    assert await core.delivery.claim() == []
    clock.advance(LEASE_SECONDS + 1)  # the first relay died while sending "two"
    taken_over = await core.delivery.claim()
    assert [a.id for a in taken_over] == [two.id, three.id, three.id + 1]
    assert [a.attempts for a in taken_over] == [2, 2, 1]


async def test_the_release_of_a_relay_whose_lease_was_taken_over_changes_nothing(
    core: Core, clock: FakeClock
) -> None:
    await owe(core, 7, "one", "two")
    _, late = await core.delivery.claim()
    clock.advance(LEASE_SECONDS + 1)
    taken = await core.delivery.claim()
    await core.delivery.release([late])  # the slow relay wakes up and gives back what it no longer holds
    assert await core.delivery.claim() == []
    assert [a.attempts for a in taken] == [2, 2]


async def test_a_chat_that_blocked_the_bot_has_every_alert_it_was_owed_dropped_at_once(
    core: Core, clock: FakeClock
) -> None:
    await owe(core, 7, "one", "two", "three")
    one, _, _ = await core.delivery.claim()
    await owe(core, 7, "four")
    await core.delivery.recipient_blocked(one, "Forbidden: bot was blocked by the user")

    assert await statuses(core) == [
        ("one", "undeliverable"),
        ("two", "undeliverable"),
        ("three", "undeliverable"),
        ("four", "undeliverable"),
    ]
    clock.advance(3600)
    assert await core.delivery.claim() == []


async def test_a_digest_waiting_for_its_window_holds_nothing_and_goes_when_due(
    core: Core, clock: FakeClock
) -> None:
    async with core.bot_services.users.uow() as uow:
        digest = Alert("digest:window", 7, AdminDigest((went_silent(1),)))
        await uow.outbox.add_to_digest(digest, clock() + timedelta(seconds=10))
        await uow.commit()
    await owe(core, 7, "liquidated")

    (liquidated,) = await core.delivery.claim()  # the digest is older, but not due: it does not block
    await core.delivery.delivered(liquidated)
    clock.advance(11)
    (window,) = await core.delivery.claim()
    assert isinstance(window.body, AdminDigest)


async def test_one_claim_takes_the_oldest_alert_of_many_chats_before_the_second_of_any(core: Core) -> None:
    for chat in (1, 2, 3):
        await owe(core, chat, f"{chat}:a", f"{chat}:b")
    claimed = await core.delivery.claim(3)
    assert sorted(a.chat_id for a in claimed) == [1, 2, 3]
    assert await core.delivery.claim(3) == []  # the second alerts wait for their chats' first
