"""SQL for subscription payments: Stars and external events (issue 11)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.affiliates import Payment, PaymentSource, PaymentType
from db.tables_affiliates import PaymentRow

PAYMENT_LOCK = 7311  # advisory lock namespace: one payment writer per Telegram user


def payment_from_row(row: PaymentRow) -> Payment:
    return Payment(
        id=row.id,
        source=PaymentSource(row.source),
        external_id=row.external_id,
        telegram_id=row.telegram_id,
        user_id=row.user_id,
        type=PaymentType(row.type),
        amount=row.amount,
        currency=row.currency,
        period_start=row.period_start,
        period_end=row.period_end,
        received_at=row.received_at,
        plan=row.plan,
        payer_fingerprint=row.payer_fingerprint,
        email=row.email,
    )


def _values(payment: Payment) -> dict[str, Any]:
    return {
        "source": payment.source.value,
        "external_id": payment.external_id,
        "telegram_id": payment.telegram_id,
        "user_id": payment.user_id,
        "type": payment.type.value,
        "amount": payment.amount,
        "currency": payment.currency,
        "plan": payment.plan,
        "period_start": payment.period_start,
        "period_end": payment.period_end,
        "payer_fingerprint": payment.payer_fingerprint,
        "email": payment.email,
        "received_at": payment.received_at,
    }


class SqlPaymentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, payment: Payment) -> Payment | None:
        statement = (
            insert(PaymentRow)
            .values(**_values(payment))
            .on_conflict_do_nothing(constraint="uq_payments_source_external_id")
            .returning(PaymentRow)
        )
        row = (await self.session.execute(statement)).scalar_one_or_none()
        return None if row is None else payment_from_row(row)

    async def by_external_id(self, source: PaymentSource, external_id: str) -> Payment | None:
        row = await self.session.scalar(
            select(PaymentRow).where(PaymentRow.source == source.value, PaymentRow.external_id == external_id)
        )
        return None if row is None else payment_from_row(row)

    async def get(self, payment_id: int) -> Payment | None:
        row = await self.session.get(PaymentRow, payment_id)
        return None if row is None else payment_from_row(row)

    async def of_telegram_user(self, telegram_id: int) -> list[Payment]:
        rows = await self.session.scalars(
            select(PaymentRow)
            .where(PaymentRow.telegram_id == telegram_id)
            .order_by(PaymentRow.period_start, PaymentRow.id)
        )
        return [payment_from_row(row) for row in rows]

    async def lock_telegram_user(self, telegram_id: int) -> None:
        await self.session.execute(
            select(func.pg_advisory_xact_lock(PAYMENT_LOCK, func.hashtext(str(telegram_id))))
        )
