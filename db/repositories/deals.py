"""Deals: every trade and cash flow an account reported, stored once per ticket."""

from __future__ import annotations

import logging

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.deals import distinct_deals
from core.domain.snapshot import Deal, DealEntry, DealReason, DealType
from db.tables import DealRow

log = logging.getLogger(__name__)
DEALS = DealRow.__table__
_INSERT = insert(DEALS)
CONTENT = ("position", "symbol", "type", "entry", "reason", "volume", "price", "time", "profit",
           "commission", "swap", "magic", "comment")  # fmt: skip
# A ticket only an import stored (source `import`) is still new to the bridge: the EA's copy replaces it
# and is returned, so its cash flow reaches the guard (migration 0012). A ticket the EA sent is never new.
ADD_DEALS = _INSERT.on_conflict_do_update(
    constraint="uq_deals_account_ticket",
    set_={**{name: _INSERT.excluded[name] for name in CONTENT}, "source": "bridge"},
    where=DEALS.c.source == "import",
).returning(DEALS.c.ticket)


class SqlDealRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_new(self, account_id: int, deals: tuple[Deal, ...]) -> list[Deal]:
        """Store the deals whose ticket this account has not stored before, one row per ticket, and
        return them once each: a ticket listed twice in one snapshot is one deal (the first copy)."""
        distinct = distinct_deals(deals)
        if distinct.conflicts:
            log.warning(
                "account %s: snapshot lists deal tickets %s twice with different content; kept the first",
                account_id,
                sorted({deal.ticket for deal in distinct.conflicts}),
            )
        if not distinct.new:
            return []
        rows = [deal_row(account_id, deal) for deal in distinct.new]
        new_tickets = set((await self.session.scalars(ADD_DEALS, rows)).all())
        return [deal for deal in distinct.new if deal.ticket in new_tickets]


def deal_from_row(row: DealRow) -> Deal:
    """A stored deal as the domain knows it (what the bridge or an import stored)."""
    return Deal(
        ticket=row.ticket,
        position=row.position,
        symbol=row.symbol,
        type=DealType(row.type),
        entry=DealEntry(row.entry),
        reason=DealReason(row.reason),
        volume=row.volume,
        price=row.price,
        time=row.time,
        profit=row.profit,
        commission=row.commission,
        swap=row.swap,
        magic=row.magic,
        comment=row.comment,
    )


def deal_row(account_id: int, deal: Deal) -> dict[str, object]:
    """A deal as a row of `deals` (without `source`: the column's default says `bridge`)."""
    row: dict[str, object] = {"account_id": account_id, "ticket": deal.ticket}
    row.update((name, getattr(deal, name)) for name in CONTENT)
    row.update(type=deal.type.value, entry=deal.entry.value, reason=deal.reason.value)
    return row
