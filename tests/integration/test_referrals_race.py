"""Referrals on the real Postgres: concurrent first touches of one newcomer record one referral (one
alert, one audit row), concurrent first /referral give one code, and the referrer chain is walked in SQL
however long it is, and ends even on a chain that already loops."""

from __future__ import annotations

import asyncio
import itertools

from sqlalchemy import text

from bot.app import Core
from core.domain.affiliates.referrals import Refusal
from core.domain.models import User
from core.services.referrals import ReferralService
from db.uow import unit_of_work_factory

RACERS = 12


async def user(core: Core, telegram_id: int, name: str = "Ann") -> User:
    return await core.bot_services.users.resolve(telegram_id, name, None, "en")


async def count(core: Core, sql: str) -> int:
    async with core.engine.connect() as connection:
        return int((await connection.execute(text(sql))).scalar_one())


async def test_concurrent_first_touches_of_one_newcomer_record_one_referral(core: Core) -> None:
    referrers = [await user(core, 1000 + n, f"R{n}") for n in range(RACERS)]
    links = ["ref_" + await core.bot_services.referrals.code_for(r) for r in referrers]
    newcomer = await user(core, 5000, "Nina")
    # each racer its own service and connections, as in separate processes
    services = [ReferralService(unit_of_work_factory(core.engine), core.clock) for _ in range(RACERS)]

    outcomes = await asyncio.gather(
        *(
            svc.attribute(newcomer, link, first_contact=True)
            for svc, link in zip(services, links, strict=True)
        )
    )

    assert outcomes.count(None) == 1
    assert set(outcomes) - {None} <= {Refusal.ALREADY_REFERRED}
    assert await count(core, "SELECT count(*) FROM referrals") == 1
    assert await count(core, "SELECT count(*) FROM outbox WHERE kind = 'referral_signed_up'") == 1
    assert await count(core, "SELECT count(*) FROM audit_log WHERE action = 'referral.attributed'") == 1
    winner = referrers[outcomes.index(None)]
    async with core.engine.connect() as connection:
        chat = (await connection.execute(text("SELECT chat_id FROM outbox"))).scalar_one()
        referrer = (await connection.execute(text("SELECT referrer_user_id FROM referrals"))).scalar_one()
    assert (chat, referrer) == (winner.telegram_id, winner.id)


async def test_concurrent_first_referral_commands_give_one_code(core: Core) -> None:
    ann = await user(core, 1001)
    services = [ReferralService(unit_of_work_factory(core.engine), core.clock) for _ in range(RACERS)]

    codes = await asyncio.gather(*(svc.code_for(ann) for svc in services))

    assert len(set(codes)) == 1
    assert await count(core, "SELECT count(*) FROM referral_codes") == 1


async def chain(core: Core, size: int) -> list[User]:
    """size users, each referred by the one before (written directly: the bot would refuse nothing here)."""
    people = [await user(core, 20_000 + n, f"P{n}") for n in range(size)]
    async with core.engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO referrals SELECT :b, :a, 'x', now()"),
            [{"a": a.id, "b": b.id} for a, b in itertools.pairwise(people)],
        )
    return people


async def test_a_cycle_at_the_end_of_a_long_chain_is_refused(core: Core) -> None:
    people = await chain(core, 400)
    link = "ref_" + await core.bot_services.referrals.code_for(people[-1])

    refused = await core.bot_services.referrals.attribute(people[0], link, first_contact=True)

    assert refused is Refusal.CYCLE
    assert await count(core, "SELECT count(*) FROM referrals") == 399


async def test_the_chain_walk_in_sql_ends_on_a_chain_that_already_loops(core: Core) -> None:
    people = await chain(core, 5)
    async with core.engine.begin() as connection:  # as a bad import might have left it: P4 → P0 too
        await connection.execute(
            text("INSERT INTO referrals VALUES (:b, :a, 'x', now())"), {"a": people[4].id, "b": people[0].id}
        )
    outsider = await user(core, 30_000, "Out")
    link = "ref_" + await core.bot_services.referrals.code_for(people[2])
    async with unit_of_work_factory(core.engine)() as uow:
        walked = await uow.referrals.referrer_chain(people[2].id)

    assert sorted(walked) == sorted(p.id for p in people if p is not people[2])
    assert await core.bot_services.referrals.attribute(outsider, link, first_contact=True) is None
