"""SQL for subscription payments: Stars and external events (issue 11)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class SqlPaymentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
