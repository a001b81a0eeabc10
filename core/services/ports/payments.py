"""Port: subscription payments: Stars and external events (issue 11). Unique per (source, external_id), so
a retried event is stored once; the payments room never sets `ledgered_at` (the ledger pass does)."""

from __future__ import annotations

from typing import Protocol

from core.domain.affiliates import Payment, PaymentSource


class PaymentRepository(Protocol):
    async def add(self, payment: Payment) -> Payment | None:
        """Store `payment` (its `id` is ignored) and return it with its id; None, storing nothing, when
        (source, external_id) is already taken (a retry, or a concurrent twin)."""
        ...

    async def by_external_id(self, source: PaymentSource, external_id: str) -> Payment | None: ...

    async def get(self, payment_id: int) -> Payment | None: ...

    async def of_telegram_user(self, telegram_id: int) -> list[Payment]:
        """Every payment event of one Telegram user, oldest period first."""
        ...

    async def lock_telegram_user(self, telegram_id: int) -> None:
        """Until the transaction ends, one writer per Telegram user: a renewal's period is computed from
        the user's earlier payments, so two payments of the same user must not both read the same end."""
        ...
