"""Payout fixes on the real Postgres (migration 0014): after a failed payout the same month's run pays
again, once (the partial unique index leaves failed payouts out); a fraud confirm takes back a failed
payout's give-back line, and every reversal it makes is alerted to the affiliate and audited."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from bot.app import Core
from core.domain.affiliates import PayoutStatus
from core.services.ports.ledger import PayoutFailed
from tests.conftest import FakeClock
from tests.integration.test_ledger_pass import sql
from tests.integration.test_payouts_race import admin, earned, payouts
from tests.service.test_payouts_service import Gateway


async def test_after_a_failed_payout_the_same_month_is_paid_again_once(core: Core, clock: FakeClock) -> None:
    await earned(core, clock)
    service = core.bot_services.payouts
    service.gateway = Gateway(PayoutFailed("account closed"))
    (failed,) = await service.run_payouts()
    service.gateway = Gateway()
    olga = await admin(core)
    period = (await service.preview(olga)).period

    made = await asyncio.gather(service.run(olga, period), service.run(olga, period))

    assert sum(len(one) for one in made) == 1
    ann = failed.affiliate_user_id
    assert await payouts(core) == [(ann, Decimal(150), "failed"), (ann, Decimal(150), "sent")]
    assert await service.run(olga, period) == []
    told = await sql(core, "SELECT chat_id, params FROM outbox WHERE kind = 'payout_returned'")
    assert [(row[0], row[1]["period"]) for row in told] == [(1001, period)]
    audited = await sql(core, "SELECT count(*) FROM audit_log WHERE action = 'commission.given_back'")
    assert audited == [(1,)]
    assert failed.status is PayoutStatus.FAILED


async def test_a_fraud_confirm_takes_back_the_give_back_line_alerted_and_audited(
    core: Core, clock: FakeClock
) -> None:
    await earned(core, clock)
    core.bot_services.payouts.gateway = Gateway(PayoutFailed("account closed"))
    (failed,) = await core.bot_services.payouts.run_payouts()

    async with core.bot_services.users.uow() as uow:
        reversed_now = await uow.ledger.reverse_unpaid(
            failed.affiliate_user_id, "fraud:f1", {"case": 7}, clock()
        )
        await uow.commit()

    assert reversed_now == 1
    rows = await sql(core, "SELECT dedupe_key, amount FROM commission_lines ORDER BY id")
    give_back = await sql(core, "SELECT id FROM commission_lines WHERE dedupe_key LIKE 'payout-failed:%'")
    assert rows[-1] == (f"rev:{give_back[0][0]}", Decimal(-150))
    unpaid = await sql(core, "SELECT sum(amount) FROM commission_lines WHERE payout_id IS NULL")
    assert unpaid == [(Decimal(0),)]
    told = await sql(core, "SELECT chat_id, params FROM outbox WHERE kind = 'commission_reversed'")
    assert [(row[0], Decimal(row[1]["amount"])) for row in told] == [(1001, Decimal(-150))]
    audited = await sql(core, "SELECT actor, details FROM audit_log WHERE action = 'commission.reversed'")
    assert [(row[0], row[1]["amount"]) for row in audited] == [("ledger", "-150.00000000")]
