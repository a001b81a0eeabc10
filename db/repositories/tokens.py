"""Operator API tokens (core.services.tokens): every one issued, and when it was revoked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.services.tokens import TokenRecord
from db.tables import OperatorTokenRow


def _record(row: OperatorTokenRow) -> TokenRecord:
    return TokenRecord(row.jti, row.role, row.issued_at, row.expires_at, row.revoked_at)


class SqlTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, record: TokenRecord) -> None:
        self.session.add(
            OperatorTokenRow(
                jti=record.jti,
                role=record.role,
                issued_at=record.issued_at,
                expires_at=record.expires_at,
                revoked_at=record.revoked_at,
            )
        )
        await self.session.flush()

    async def revoke(self, jti: str, now: datetime) -> TokenRecord | None:
        row = await self.session.scalar(
            update(OperatorTokenRow)
            .where(OperatorTokenRow.jti == jti)
            .values(revoked_at=func.coalesce(OperatorTokenRow.revoked_at, now))
            .returning(OperatorTokenRow)
            .execution_options(synchronize_session=False)
        )
        return _record(row) if row is not None else None

    async def revoked_unexpired(self, now: datetime) -> set[str]:
        found = await self.session.scalars(
            select(OperatorTokenRow.jti).where(
                OperatorTokenRow.revoked_at.is_not(None), OperatorTokenRow.expires_at > now
            )
        )
        return set(found)

    async def all(self) -> list[TokenRecord]:
        rows = await self.session.scalars(select(OperatorTokenRow).order_by(OperatorTokenRow.issued_at))
        return [_record(row) for row in rows]
