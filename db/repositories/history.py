"""An account's stored history: its deals, the tickets our commands filled, its equity points; and the
deals a trader imports (`deals.source = 'import'`, migration 0012)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, and_, cast, func, literal_column, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.commands import CommandStatus, CommandType
from core.domain.deals import distinct_deals
from core.domain.models import User
from core.domain.snapshot import Deal
from core.services.ports.history import EquityPoint
from db.repositories.deals import DEALS, deal_from_row, deal_row
from db.repositories.users import _user
from db.tables import CommandRow, DealRow, EquityHistoryRow, UserRow

IMPORTED = "import"
COMMENT_LENGTH = 64  # deals.comment; MT5 writes at most 31 characters, a report may carry more
ADD_IMPORTED = insert(DEALS).on_conflict_do_nothing().returning(DEALS.c.ticket)
# One row per ticket in the acks of filled open_position commands (BRIDGE.md: ack `results`).
_RESULT = func.jsonb_array_elements(CommandRow.ack["results"]).table_valued("value").alias("result")
_TICKET_TEXT = literal_column("result.value ->> 'ticket'")


class SqlHistoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def deals(self, account_id: int) -> list[Deal]:
        rows = await self.session.scalars(
            select(DealRow).where(DealRow.account_id == account_id).order_by(DealRow.time, DealRow.ticket)
        )
        return [deal_from_row(row) for row in rows]

    async def bot_tickets(self, account_id: int) -> set[int]:
        filled = and_(
            CommandRow.account_id == account_id,
            CommandRow.type == CommandType.OPEN_POSITION.value,
            CommandRow.status == CommandStatus.DONE.value,
            func.jsonb_typeof(CommandRow.ack["results"]) == "array",
        )
        query = (
            select(cast(_TICKET_TEXT, BigInteger))
            .select_from(CommandRow)
            .join(_RESULT, text("true"))
            .where(filled, _TICKET_TEXT.regexp_match("^[0-9]{1,18}$"))
        )
        return set((await self.session.scalars(query)).all())

    async def equity(self, account_id: int, since: datetime | None) -> list[EquityPoint]:
        query = select(EquityHistoryRow.minute, EquityHistoryRow.equity).where(
            EquityHistoryRow.account_id == account_id
        )
        if since is not None:
            query = query.where(EquityHistoryRow.minute >= since)
        rows = await self.session.execute(query.order_by(EquityHistoryRow.minute))
        return [(minute, equity) for minute, equity in rows]

    async def add_imported(self, account_id: int, deals: tuple[Deal, ...]) -> int:
        new = distinct_deals(deals).new
        if not new:
            return 0
        rows = [
            deal_row(account_id, deal) | {"comment": deal.comment[:COMMENT_LENGTH], "source": IMPORTED}
            for deal in new
        ]
        return len((await self.session.scalars(ADD_IMPORTED, rows)).all())

    async def user_named(self, username: str) -> User | None:
        row = await self.session.scalar(
            select(UserRow)
            .where(func.lower(UserRow.username) == username.lower())
            .order_by(UserRow.id.desc())
            .limit(1)
        )
        return _user(row) if row is not None else None
