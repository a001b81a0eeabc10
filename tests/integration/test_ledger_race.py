"""Two ledger passes overlapping on the real Postgres (the worker's, and the one rung after a payment):
a refund recorded while another pass still holds the paid payment's uncommitted lines is reversed all the
same, once that pass commits."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import datetime
from decimal import Decimal

import pytest

from bot.app import Core
from db.repositories.ledger import SqlLedgerRepository
from tests.integration.test_ledger_pass import pay, people, sql


async def test_a_refund_ledgered_while_another_pass_holds_the_paid_payment_reverses_its_lines(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    who = await people(core)
    await pay(core, 1, 1002, who.bob, 0, currency="USD", amount="9.99")
    wrote, go_on = asyncio.Event(), asyncio.Event()
    mark = SqlLedgerRepository.mark_ledgered

    async def pass_a_waits(repo: SqlLedgerRepository, ids: Collection[int], now: datetime) -> None:
        if 1 in ids:  # pass A has written the paid payment's lines and not committed them yet
            wrote.set()
            await go_on.wait()
        await mark(repo, ids, now)

    monkeypatch.setattr(SqlLedgerRepository, "mark_ledgered", pass_a_waits)
    ledger = core.bot_services.ledger
    pass_a = asyncio.create_task(ledger.run_once())
    await asyncio.wait_for(wrote.wait(), 5)
    await pay(core, 2, 1002, who.bob, 0, kind="refunded", currency="USD", amount="9.99")

    pass_b = asyncio.create_task(ledger.run_once())  # claims the refund (the paid one is locked)
    await asyncio.wait({pass_b}, timeout=0.5)  # before the fix, B finished here, reversing nothing
    go_on.set()
    await asyncio.wait_for(asyncio.gather(pass_a, pass_b), 5)

    rows = await sql(core, "SELECT dedupe_key, amount FROM commission_lines ORDER BY id")
    expected = [("pay:1:tier_1", Decimal("3.00")), ("rev:1", Decimal("-3.00"))]
    assert [(row[0], row[1]) for row in rows] == expected
    assert await sql(core, "SELECT count(*) FROM payments WHERE ledgered_at IS NULL") == [(0,)]
