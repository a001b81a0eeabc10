"""SQL for the commission ledger and payouts (issue 11)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class SqlLedgerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
