"""SQL for payouts (issue 11, docs/affiliates.md): balances, the locks a payout takes, its status."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.affiliates import Payout, PayoutStatus
from core.domain.affiliates.payouts import Balance
from core.services.ports.ledger import PayableLine
from db.tables import UserRow
from db.tables_affiliates import CommissionLineRow, FraudCaseRow, PayoutRow

BLOCKING = (PayoutStatus.PENDING.value, PayoutStatus.UNKNOWN.value)
# The live payouts' unique index (migration 0014): a failed payout does not hold its month's key.
LIVE_KEY = ["affiliate_user_id", "period", "currency"]
LIVE_WHERE = text("status <> 'failed'")


def payout_from_row(row: PayoutRow) -> Payout:
    return Payout(
        row.id, row.affiliate_user_id, row.period, row.amount, row.currency, PayoutStatus(row.status),
        row.created_by, row.created_at, row.resolved_at, row.reference,
    )  # fmt: skip


def _payable(now: datetime) -> tuple[object, ...]:
    return (CommissionLineRow.payout_id.is_(None), CommissionLineRow.payable_at <= now)


class SqlPayouts:
    session: AsyncSession

    async def balances(self, now: datetime) -> list[Balance]:
        line = CommissionLineRow
        statement = (
            select(line.affiliate_user_id, UserRow.telegram_id, UserRow.first_name, line.currency)
            .add_columns(func.sum(line.amount))
            .join(UserRow, UserRow.id == line.affiliate_user_id)
            .where(*_payable(now))
            .group_by(line.affiliate_user_id, UserRow.telegram_id, UserRow.first_name, line.currency)
            .order_by(line.affiliate_user_id, line.currency)
        )
        return [Balance(*row) for row in (await self.session.execute(statement)).all()]

    async def open_fraud(self, affiliate_user_ids: Collection[int]) -> set[int]:
        statement = select(FraudCaseRow.affiliate_user_id).where(
            FraudCaseRow.status == "open", FraudCaseRow.affiliate_user_id.in_(affiliate_user_ids)
        )
        return set((await self.session.scalars(statement)).all())

    async def unresolved(self, affiliate_user_ids: Collection[int]) -> set[int]:
        statement = select(PayoutRow.affiliate_user_id).where(
            PayoutRow.status.in_(BLOCKING), PayoutRow.affiliate_user_id.in_(affiliate_user_ids)
        )
        return set((await self.session.scalars(statement)).all())

    async def paid_in(self, period: str, affiliate_user_ids: Collection[int]) -> set[tuple[int, str]]:
        statement = select(PayoutRow.affiliate_user_id, PayoutRow.currency).where(
            PayoutRow.period == period,
            PayoutRow.status != PayoutStatus.FAILED.value,
            PayoutRow.affiliate_user_id.in_(affiliate_user_ids),
        )
        rows = (await self.session.execute(statement)).all()
        return {(affiliate, currency) for affiliate, currency in rows}

    async def lock_payable(self, affiliate_user_id: int, currency: str, now: datetime) -> list[PayableLine]:
        line = CommissionLineRow
        statement = (
            select(line.id, line.amount)
            .where(line.affiliate_user_id == affiliate_user_id, line.currency == currency, *_payable(now))
            .order_by(line.id)
            .with_for_update()
        )
        return [PayableLine(*row) for row in (await self.session.execute(statement)).all()]

    async def insert_payout(
        self, affiliate_user_id: int, period: str, amount: Decimal, currency: str, by: str, now: datetime
    ) -> Payout | None:
        values = {
            "affiliate_user_id": affiliate_user_id, "period": period, "amount": amount, "currency": currency,
            "status": PayoutStatus.PENDING.value, "created_by": by, "created_at": now,
        }  # fmt: skip
        statement = (
            pg_insert(PayoutRow)
            .values(values)
            .on_conflict_do_nothing(index_elements=LIVE_KEY, index_where=LIVE_WHERE)
            .returning(PayoutRow)
        )
        row = (await self.session.scalars(statement)).first()
        return payout_from_row(row) if row is not None else None

    async def attach(self, payout_id: int, line_ids: Collection[int]) -> None:
        taken = update(CommissionLineRow).where(CommissionLineRow.id.in_(line_ids))
        await self.session.execute(taken.values(payout_id=payout_id))

    async def lock_payout(self, payout_id: int) -> Payout | None:
        statement = select(PayoutRow).where(PayoutRow.id == payout_id).with_for_update()
        row = (await self.session.scalars(statement)).first()
        return payout_from_row(row) if row is not None else None

    async def set_status(
        self, payout_id: int, status: PayoutStatus, now: datetime, reference: str | None
    ) -> None:
        resolved = None if status is PayoutStatus.PENDING else now
        change = {"status": status.value, "resolved_at": resolved, "reference": reference}
        await self.session.execute(update(PayoutRow).where(PayoutRow.id == payout_id).values(change))

    async def payouts_with(self, statuses: Collection[PayoutStatus]) -> list[Payout]:
        wanted = [status.value for status in statuses]
        statement = select(PayoutRow).where(PayoutRow.status.in_(wanted)).order_by(PayoutRow.id)
        return [payout_from_row(row) for row in (await self.session.scalars(statement)).all()]
