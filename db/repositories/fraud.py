"""SQL for fraud cases and what the fraud checks read (issue 11)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class SqlFraudRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
