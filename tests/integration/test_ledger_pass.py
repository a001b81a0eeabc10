"""The ledger pass on the real Postgres: payments become lines once (even with two passes racing), the
payer is found by user or by telegram id, a refund reverses, the affiliate is alerted and it is audited."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from bot.app import Core
from tests.conftest import FakeClock

START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class People:
    ann: int  # the affiliate
    bob: int  # referred by Ann
    carl: int  # referred by nobody


async def people(core: Core) -> People:
    async with core.bot_services.users.uow() as uow:
        ann = await uow.users.upsert(1001, "Ann", None, "en")
        bob = await uow.users.upsert(1002, "Bob", None, "en")
        carl = await uow.users.upsert(1003, "Carl", None, "en")
        await uow.commit()
    await sql(
        core,
        "INSERT INTO referrals (referee_user_id, referrer_user_id, code, created_at)"
        " VALUES (:b, :a, 'c', :t)",
        b=bob.id,
        a=ann.id,
        t=START,
    )
    return People(ann.id, bob.id, carl.id)


async def sql(core: Core, statement: str, **params: Any) -> list[Any]:
    async with core.engine.begin() as connection:
        result = await connection.execute(text(statement), params)
        return list(result.all()) if result.returns_rows else []


async def pay(
    core: Core, n: int, telegram_id: int, user_id: int | None, day: int, kind: str = "paid", **more: Any
) -> None:
    start = START + timedelta(days=day)
    values = {
        "n": n, "source": "stars", "e": f"ch_{n}", "tg": telegram_id, "u": user_id, "type": kind,
        "amount": Decimal(more.get("amount", "500")), "currency": more.get("currency", "XTR"), "s": start,
        "end": start + timedelta(days=30), "r": more.get("received", start),
    }  # fmt: skip
    await sql(
        core,
        "INSERT INTO payments (id, source, external_id, telegram_id, user_id, type, amount, currency,"
        " period_start, period_end, received_at) VALUES (:n, :source, :e, :tg, :u, :type, :amount,"
        " :currency, :s, :end, :r)",
        **values,
    )


async def lines(core: Core) -> list[tuple[str, Decimal, str]]:
    rows = await sql(core, "SELECT dedupe_key, amount, currency FROM commission_lines ORDER BY id")
    return [(row[0], row[1], row[2]) for row in rows]


async def test_payments_become_their_lines_once_alerted_and_audited(core: Core) -> None:
    who = await people(core)
    await pay(core, 1, 1002, who.bob, 0)
    await pay(core, 2, 1002, None, 30)  # an external event names the Telegram id only
    await pay(core, 3, 1002, who.bob, 60)
    await pay(core, 4, 1003, who.carl, 0)  # nobody referred Carl

    await asyncio.gather(core.bot_services.ledger.run_once(), core.bot_services.ledger.run_once())
    await core.bot_services.ledger.run_once()

    assert await lines(core) == [
        ("pay:1:tier_1", Decimal(150), "XTR"),
        ("pay:2:tier_2", Decimal(75), "XTR"),
        ("pay:3:tier_2", Decimal(75), "XTR"),
        ("pay:3:bonus", Decimal(25), "XTR"),
    ]
    assert await sql(core, "SELECT count(*) FROM payments WHERE ledgered_at IS NULL") == [(0,)]
    alerts = await sql(core, "SELECT chat_id FROM outbox WHERE kind = 'commission_earned'")
    assert [row[0] for row in alerts] == [1001] * 4
    audited = await sql(core, "SELECT count(*) FROM audit_log WHERE action = 'commission.earned'")
    assert audited == [(4,)]


async def test_a_refund_reverses_the_unpaid_line_of_its_period_maturing_with_it(core: Core) -> None:
    who = await people(core)
    await pay(core, 1, 1002, who.bob, 0, currency="USD", amount="9.99")
    await core.bot_services.ledger.run_once()
    await pay(core, 2, 1002, who.bob, 0, kind="refunded", currency="USD", amount="9.99")

    await core.bot_services.ledger.run_once()

    rows = await sql(
        core, "SELECT kind, amount, payable_at, reverses_line_id FROM commission_lines ORDER BY id"
    )
    assert [(row[0], row[1]) for row in rows] == [("tier_1", Decimal("3.00")), ("reversal", Decimal("-3.00"))]
    assert rows[0][2] == rows[1][2] and rows[1][3] is not None
    kinds = await sql(core, "SELECT kind, params FROM outbox WHERE kind LIKE 'commission_%' ORDER BY id")
    assert [row[0] for row in kinds] == ["commission_earned", "commission_reversed"]
    assert kinds[1][1]["carried"] is False


async def deal(core: Core, account: int, ticket: int, entry: str, at: datetime, magic: int = 0) -> None:
    await sql(
        core,
        "INSERT INTO deals (account_id, ticket, position, symbol, type, entry, reason, volume, price, time,"
        " profit, commission, swap, magic, comment) VALUES (:a, :t, :p, 'EURUSD', 'buy', :e, 'expert',"
        " 0.5, 1.1, :at, 0, 0, 0, :m, '')",
        a=account, t=ticket, p=ticket // 10, e=entry, at=at, m=magic,
    )  # fmt: skip


async def withheld_table(core: Core) -> None:
    """The fraud room's table (its migration 0015), as it defines it: a no-op once merged."""
    await sql(
        core,
        "CREATE TABLE IF NOT EXISTS withheld_positions (account_id bigint, position_id bigint,"
        " rule varchar(32), found_at timestamptz, PRIMARY KEY (account_id, position_id))",
    )
    await sql(core, "DELETE FROM withheld_positions")


async def test_rebates_pay_bot_lots_held_long_enough_once_per_referee_and_day_once_settled(
    core: Core, clock: FakeClock
) -> None:
    await withheld_table(core)
    who = await people(core)
    async with core.bot_services.users.uow() as uow:
        first = await uow.accounts.add(who.bob, 5012345, "Broker-Demo", START)
        second = await uow.accounts.add(who.bob, 5012346, "Broker-Demo", START)
        await uow.commit()
    day = START + timedelta(hours=9)
    for account in (first.id, second.id):  # the same position ticket on two accounts: two trades
        await deal(core, account, 10, "in", day, 7300)
        await deal(core, account, 11, "out", day + timedelta(hours=2))
    await deal(core, first.id, 20, "in", day, 7300)  # a 30-second round trip: withheld
    await deal(core, first.id, 21, "out", day + timedelta(seconds=30))
    await deal(core, first.id, 30, "in", day)  # manual: no rebate
    await deal(core, first.id, 31, "out", day + timedelta(hours=3))
    await sql(core, "INSERT INTO withheld_positions VALUES (:a, 1, 'wash_flat_pnl', :t)", a=first.id, t=day)
    clock.now = START + timedelta(days=1, hours=1)
    policy = core.bot_services.ledger.policy
    rules = replace(policy.rules, rebate_per_lot=Decimal("4"))
    core.bot_services.ledger.policy = replace(policy, rules=rules)

    assert await core.bot_services.ledger.run_once() == 0  # the day has not settled: deals may be late
    await deal(core, second.id, 50, "in", day, 7300)  # the EA was offline: the day's deals come late
    await deal(core, second.id, 51, "out", day + timedelta(hours=1))
    clock.now = START + timedelta(days=2, minutes=5)
    await core.bot_services.ledger.run_once()
    await core.bot_services.ledger.run_once()

    rows = await sql(core, "SELECT dedupe_key, amount, currency, details FROM commission_lines")
    assert [(row[0], row[1], row[2]) for row in rows] == [(f"rebate:{who.bob}:2026-01-01", Decimal(4), "USD")]
    assert Decimal(rows[0][3]["withheld_lots"]) == Decimal("1.0")  # the 30-second one, the wash one
    assert Decimal(rows[0][3]["wash_lots"]) == Decimal("0.5")
