"""The commission ledger on the real Postgres: append-only, and a fraud reversal takes each unpaid line
back once (issue 11, docs/affiliates.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.app import Core

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


async def seed(core: Core) -> None:
    async with core.bot_services.users.uow() as uow:
        affiliate = await uow.users.upsert(1001, "Ann", None, "en")
        referee = await uow.users.upsert(1002, "Bob", None, "en")
        await uow.commit()
    lines = [
        ("pay:1:tier_1", Decimal("150"), None),  # unpaid: reversed
        ("pay:2:tier_2", Decimal("75"), None),  # unpaid: reversed
    ]
    async with core.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO payouts (affiliate_user_id, period, amount, currency, status, created_by,"
                " created_at) VALUES (:a, '2026-11', 10, 'XTR', 'sent', 'test', :now)"
            ),
            {"a": affiliate.id, "now": NOW},
        )
        for key, amount, _ in [*lines, ("pay:0:tier_1", Decimal(10), 1)]:
            await connection.execute(
                text(
                    "INSERT INTO commission_lines (dedupe_key, affiliate_user_id, referee_user_id, kind,"
                    " amount, currency, rule_version, details, earned_at, payable_at, payout_id)"
                    " VALUES (:k, :a, :r,"
                    " :kind, :amount, 'XTR', 'c1', '{}', :now, :due, :payout)"
                ),
                {
                    "k": key,
                    "a": affiliate.id,
                    "r": referee.id,
                    "kind": key.rsplit(":", 1)[1],
                    "amount": amount,
                    "now": NOW,
                    "due": NOW + timedelta(days=30),
                    "payout": 1 if key == "pay:0:tier_1" else None,
                },
            )


async def test_a_fraud_reversal_takes_back_each_unpaid_line_once_and_leaves_paid_ones(core: Core) -> None:
    await seed(core)
    for expected in (2, 0):  # a retry reverses nothing more
        async with core.bot_services.users.uow() as uow:
            assert await uow.ledger.reverse_unpaid(1, "fraud:v1", {"case": 7}, NOW) == expected
            await uow.commit()
    async with core.engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT kind, amount, payable_at FROM commission_lines"
                    " WHERE kind = 'reversal' ORDER BY id"
                )
            )
        ).all()
        unpaid = (
            await connection.execute(text("SELECT sum(amount) FROM commission_lines WHERE payout_id IS NULL"))
        ).scalar_one()
    assert [(kind, amount) for kind, amount, _ in rows] == [
        ("reversal", Decimal(-150)),
        ("reversal", Decimal(-75)),
    ]
    assert all(due == NOW + timedelta(days=30) for _, _, due in rows)  # matures with the line it reverses
    assert unpaid == 0


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE commission_lines SET amount = 1 WHERE dedupe_key = 'pay:1:tier_1'",
        "UPDATE commission_lines SET payout_id = NULL WHERE dedupe_key = 'pay:0:tier_1'",
        "DELETE FROM commission_lines WHERE dedupe_key = 'pay:1:tier_1'",
    ],
)
async def test_the_ledger_refuses_to_change_or_delete_a_line(core: Core, statement: str) -> None:
    await seed(core)
    with pytest.raises(DBAPIError, match="append-only"):
        async with core.engine.begin() as connection:
            await connection.execute(text(statement))


async def test_a_payout_takes_an_unpaid_line(core: Core) -> None:
    await seed(core)
    async with core.engine.begin() as connection:
        take = "UPDATE commission_lines SET payout_id = 1 WHERE dedupe_key = 'pay:1:tier_1'"
        await connection.execute(text(take))
        count = "SELECT count(*) FROM commission_lines WHERE payout_id = 1"
        paid = (await connection.execute(text(count))).scalar()
    assert paid == 2
