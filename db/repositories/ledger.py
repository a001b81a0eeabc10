"""SQL for the commission ledger and payouts (issue 11, docs/affiliates.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.domain.affiliates import LineKind
from db.tables_affiliates import CommissionLineRow

LINES = CommissionLineRow.__table__


class SqlLedgerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def reverse_unpaid(
        self, affiliate_user_id: int, rule_version: str, details: dict[str, Any], now: datetime
    ) -> int:
        line = aliased(CommissionLineRow)
        reversal = aliased(CommissionLineRow)
        unpaid = (
            select(
                literal("rev:").concat(line.id.cast(LINES.c.dedupe_key.type)),
                line.affiliate_user_id,
                line.referee_user_id,
                line.payment_id,
                line.id,
                literal(LineKind.REVERSAL.value),
                -line.amount,
                line.currency,
                literal(rule_version),
                literal(details, LINES.c.details.type),
                literal(now, LINES.c.earned_at.type),
                line.payable_at,
            )
            .outerjoin(reversal, reversal.reverses_line_id == line.id)
            .where(
                and_(
                    line.affiliate_user_id == affiliate_user_id,
                    line.payout_id.is_(None),
                    line.kind != LineKind.REVERSAL.value,
                    reversal.id.is_(None),
                )
            )
        )
        columns = [
            "dedupe_key", "affiliate_user_id", "referee_user_id", "payment_id", "reverses_line_id", "kind",
            "amount", "currency", "rule_version", "details", "earned_at", "payable_at",
        ]  # fmt: skip
        statement = (
            pg_insert(LINES)
            .from_select(columns, unpaid)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(LINES.c.id)
        )
        return len((await self.session.execute(statement)).all())
