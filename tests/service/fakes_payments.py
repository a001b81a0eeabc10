"""In-memory PaymentRepository for service tests: payments in `store.affiliates["payments"]`, unique by
(source, external_id) as the SQL table is."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from core.domain.affiliates import Payment, PaymentSource


class FakePayments:
    def __init__(self, store: Any) -> None:
        self.s = store

    @property
    def rows(self) -> list[Payment]:
        return self.s.affiliates.setdefault("payments", [])  # type: ignore[no-any-return]

    async def add(self, payment: Payment) -> Payment | None:
        if await self.by_external_id(payment.source, payment.external_id) is not None:
            return None
        stored = replace(payment, id=next(self.s.ids))
        self.rows.append(stored)
        return stored

    async def by_external_id(self, source: PaymentSource, external_id: str) -> Payment | None:
        return next((p for p in self.rows if (p.source, p.external_id) == (source, external_id)), None)

    async def get(self, payment_id: int) -> Payment | None:
        return next((p for p in self.rows if p.id == payment_id), None)

    async def of_telegram_user(self, telegram_id: int) -> list[Payment]:
        found = [p for p in self.rows if p.telegram_id == telegram_id]
        return sorted(found, key=lambda p: (p.period_start, p.id))

    async def lock_telegram_user(self, telegram_id: int) -> None:
        return None  # one task at a time in the service tier
