"""Deals: every trade and cash flow an account reported, stored once per ticket."""

from __future__ import annotations

import logging

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.deals import distinct_deals
from core.domain.snapshot import Deal
from db.tables import DealRow

log = logging.getLogger(__name__)
DEALS = DealRow.__table__
ADD_DEALS = insert(DEALS).on_conflict_do_nothing().returning(DEALS.c.ticket)


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
        rows = [
            {
                "account_id": account_id,
                "ticket": d.ticket,
                "position": d.position,
                "symbol": d.symbol,
                "type": d.type.value,
                "entry": d.entry.value,
                "reason": d.reason.value,
                "volume": d.volume,
                "price": d.price,
                "time": d.time,
                "profit": d.profit,
                "commission": d.commission,
                "swap": d.swap,
                "magic": d.magic,
                "comment": d.comment,
            }
            for d in distinct.new
        ]
        new_tickets = set((await self.session.scalars(ADD_DEALS, rows)).all())
        return [deal for deal in distinct.new if deal.ticket in new_tickets]
