"""Imported deals on the real Postgres (migration 0012, deals.source): an import stores each ticket once
and never stands in for the EA's report of it. A withdrawal a trader imported before their EA reported
it is still new to the bridge, so its cash flow reaches the guard (else it would look like a loss)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import text

from bot.app import Core
from core.domain.snapshot import Deal, DealEntry, DealReason, DealType
from tests.integration.test_repositories import linked

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
WITHDRAWAL = Deal(501, 0, "", DealType.BALANCE, DealEntry.IN, DealReason.OTHER, Decimal(0), Decimal(0), T0,
                  Decimal("-2500.00"), comment="Withdrawal")  # fmt: skip
TRADE = Deal(502, 9001, "EURUSD", DealType.BUY, DealEntry.IN, DealReason.CLIENT, Decimal("0.10"),
             Decimal("1.08550"), T0, Decimal(0), magic=0, comment="x" * 80)  # fmt: skip


async def sources(core: Core) -> list[tuple[int, str]]:
    async with core.engine.connect() as connection:
        rows = await connection.execute(text("SELECT ticket, source FROM deals ORDER BY ticket"))
        return [(ticket, source) for ticket, source in rows]


async def test_a_deal_only_an_import_stored_is_still_new_to_the_bridge_which_takes_it_over(
    core: Core,
) -> None:
    account_id = await linked(core, 1001, 5012345)
    async with core.bot_services.users.uow() as uow:
        assert await uow.history.add_imported(account_id, (WITHDRAWAL, TRADE, WITHDRAWAL)) == 2
        await uow.commit()

    async with core.bot_services.users.uow() as uow:
        bridge_new = await uow.deals.add_new(account_id, (WITHDRAWAL,))
        again = await uow.deals.add_new(account_id, (WITHDRAWAL,))
        imported_again = await uow.history.add_imported(account_id, (WITHDRAWAL, TRADE))
        await uow.commit()

    assert bridge_new == [WITHDRAWAL]  # the guard sees the cash flow when the EA reports it
    assert bridge_new[0].is_cash_flow and again == [] and imported_again == 0
    assert await sources(core) == [(501, "bridge"), (502, "import")]
    async with core.bot_services.users.uow() as uow:
        stored = await uow.history.deals(account_id)
    assert [deal.ticket for deal in stored] == [501, 502]
    assert stored[1].comment == "x" * 64  # a report's long comment is cut to the column, not refused


async def test_an_import_of_deals_the_bridge_stored_adds_nothing_and_keeps_the_bridges_copy(
    core: Core,
) -> None:
    account_id = await linked(core, 1001, 5012345)
    reported = replace(TRADE, comment="tg:sig_1")
    async with core.bot_services.users.uow() as uow:
        assert await uow.deals.add_new(account_id, (reported,)) == [reported]
        assert await uow.history.add_imported(account_id, (TRADE,)) == 0
        await uow.commit()

    assert await sources(core) == [(502, "bridge")]
