"""Payments on the real Postgres: one row per (source, external_id) also when two identical events race,
Stars renewals from concurrent payments of one user never overlap, and the one stored payment is ledgered
once by the pass its recording rings (no referral: no line)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import text

from bot.app import Core
from core.domain.affiliates import Payment, PaymentSource, PaymentType
from core.services.payments import invoice_payload

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
EVENT = Payment(0, PaymentSource.EXTERNAL, "inv_1", 4242, None, PaymentType.PAID, Decimal("9.99"), "USD",
                NOW, NOW + timedelta(days=30), NOW)  # fmt: skip


async def test_a_repeated_external_id_is_stored_once_and_read_back_whole(core: Core) -> None:
    async with core.bot_services.users.uow() as uow:
        first = await uow.payments.add(EVENT)
        twin = await uow.payments.add(EVENT)
        stored = await uow.payments.by_external_id(PaymentSource.EXTERNAL, "inv_1")
        await uow.commit()

    assert first is not None and twin is None and stored == first
    assert stored.amount == Decimal("9.99") and stored.period_end == NOW + timedelta(days=30)


async def test_two_identical_events_racing_store_one_row(core: Core) -> None:
    payments = core.bot_services.payments

    results = await asyncio.gather(*(payments.record_external("operator", EVENT) for _ in range(4)))

    assert sorted(result.created for result in results) == [False, False, False, True]
    async with core.engine.connect() as connection:
        count = (await connection.execute(text("SELECT count(*) FROM payments"))).scalar_one()
        ledgered = (await connection.execute(text("SELECT count(ledgered_at) FROM payments"))).scalar_one()
        lines = (await connection.execute(text("SELECT count(*) FROM commission_lines"))).scalar_one()
    assert (count, ledgered, lines) == (1, 1, 0)


async def test_concurrent_stars_payments_of_one_user_chain_their_periods(core: Core) -> None:
    payments = core.bot_services.payments
    plan = payments.plans[0]
    payload = invoice_payload(plan, 4242)

    await asyncio.gather(*(payments.record_stars(4242, payload, plan.stars, f"stx{n}") for n in range(3)))

    async with core.bot_services.users.uow() as uow:
        rows = await uow.payments.of_telegram_user(4242)
    assert sorted(p.type.value for p in rows) == ["paid", "renewed", "renewed"]
    assert all(a.period_end == b.period_start for a, b in itertools.pairwise(rows))
