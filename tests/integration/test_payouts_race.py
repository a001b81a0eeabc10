"""Payouts on the real Postgres: two runs racing (two tasks, and two Cores with their own connection
pools, as two processes would) make exactly one payout; a retry pays nothing; a payout of unknown outcome
blocks the next until an admin resolves it; an open fraud case blocks; a refund after payout is carried."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from bot.app import Core, open_core
from core.config import Settings
from core.domain.affiliates import PayoutStatus
from core.domain.models import User
from core.services.ports.ledger import PayoutUnknown
from tests.conftest import FakeClock
from tests.integration.test_ledger_pass import START, pay, people, sql
from tests.service.test_payouts_service import Gateway

DAY = 86400
ADMIN = 900001


async def earned(core: Core, clock: FakeClock, affiliates: int = 1) -> None:
    """`affiliates` affiliates (the first is Ann, people()) each with one referee who paid 500 Stars,
    ledgered; then time moves past the hold."""
    clock.now = START
    who = await people(core)
    await pay(core, 1, 1002, who.bob, 0)
    for n in range(2, affiliates + 1):
        async with core.bot_services.users.uow() as uow:
            referrer = await uow.users.upsert(2000 + n, f"A{n}", None, "en")
            referee = await uow.users.upsert(3000 + n, f"R{n}", None, "en")
            await uow.commit()
        await sql(
            core,
            "INSERT INTO referrals VALUES (:b, :a, 'c', :t)",
            b=referee.id,
            a=referrer.id,
            t=START,
        )
        await pay(core, n, 3000 + n, referee.id, 0)
    await core.bot_services.ledger.run_once()
    clock.advance(31 * DAY)


async def payouts(core: Core) -> list[tuple[int, Decimal, str]]:
    rows = await sql(core, "SELECT affiliate_user_id, amount, status FROM payouts ORDER BY id")
    return [(row[0], row[1], row[2]) for row in rows]


async def admin(core: Core) -> User:
    async with core.bot_services.users.uow() as uow:
        olga = await uow.users.upsert(ADMIN, "Olga", None, "en")
        await uow.commit()
    return olga


async def test_two_tasks_racing_make_one_payout_per_affiliate_and_a_retry_pays_nothing(
    core: Core, clock: FakeClock
) -> None:
    await earned(core, clock, affiliates=5)
    service = core.bot_services.payouts

    made = await asyncio.gather(service.run_payouts(), service.run_payouts(), service.run_payouts())

    assert sum(len(one) for one in made) == 5
    assert sorted(amount for _, amount, _ in await payouts(core)) == [Decimal(150)] * 5
    assert await service.run_payouts() == []
    unpaid = await sql(core, "SELECT count(*) FROM commission_lines WHERE payout_id IS NULL")
    assert unpaid == [(0,)]
    matched = await sql(
        core,
        "SELECT count(*) FROM payouts p WHERE amount <> (SELECT sum(amount) FROM commission_lines"
        " WHERE payout_id = p.id)",
    )
    assert matched == [(0,)]


async def test_two_cores_racing_make_one_payout(core: Core, clock: FakeClock, settings: Settings) -> None:
    await earned(core, clock, affiliates=3)
    async with open_core(settings, clock) as other:
        made = await asyncio.gather(
            core.bot_services.payouts.run_payouts(), other.bot_services.payouts.run_payouts()
        )

    assert sum(len(one) for one in made) == 3
    assert len(await payouts(core)) == 3


async def test_an_unknown_outcome_blocks_the_next_payout_until_an_admin_resolves_it(
    core: Core, clock: FakeClock
) -> None:
    await earned(core, clock)
    service = core.bot_services.payouts
    service.gateway = Gateway(PayoutUnknown("timeout"))
    (unknown,) = await service.run_payouts()
    await pay(core, 7, 1002, None, 30)
    await core.bot_services.ledger.run_once()
    clock.advance(31 * DAY)  # a new month: a new period key, so only the unknown payout blocks
    service.gateway = Gateway()

    assert await service.run_payouts() == []
    assert await payouts(core) == [(unknown.affiliate_user_id, Decimal(150), "unknown")]

    await service.resolve(await admin(core), unknown.id, PayoutStatus.SENT)
    (next_one,) = await service.run_payouts()
    assert next_one.amount == Decimal(75) and next_one.status is PayoutStatus.SENT
    actions = await sql(core, "SELECT action FROM audit_log WHERE action LIKE 'payout.%' ORDER BY id")
    assert [row[0] for row in actions] == [
        "payout.created", "payout.unknown", "payout.sent", "payout.created", "payout.sent"
    ]  # fmt: skip


async def test_an_open_fraud_case_blocks_the_payout(core: Core, clock: FakeClock) -> None:
    await earned(core, clock)
    await sql(
        core,
        "INSERT INTO fraud_cases (affiliate_user_id, status, score, signals, rule_version, opened_at,"
        " updated_at) SELECT referrer_user_id, 'open', 80, '{}', 'f1', :t, :t FROM referrals",
        t=START,
    )

    assert await core.bot_services.payouts.run_payouts() == []
    assert await payouts(core) == []


async def test_a_refund_after_payout_is_carried_as_a_negative_line_payable_at_once(
    core: Core, clock: FakeClock
) -> None:
    await earned(core, clock)
    await core.bot_services.payouts.run_payouts()
    await pay(core, 8, 1002, None, 0, kind="refunded", received=clock())

    await core.bot_services.ledger.run_once()

    rows = await sql(
        core, "SELECT amount, payable_at, payout_id FROM commission_lines WHERE kind = 'reversal'"
    )
    assert rows == [(Decimal(-150), clock(), None)]
    balance = (await core.bot_services.payouts.preview(await admin(core))).candidates
    assert [(c.balance.payable, c.blocked.value if c.blocked else None) for c in balance] == [
        (Decimal(-150), "nothing")
    ]
