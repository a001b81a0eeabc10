"""SQL for fraud cases (issue 11): at most one open case per affiliate (the partial unique index), and
decisions taken by a conditional update, so only one of two admins pressing at once changes the case."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.affiliates import CaseStatus, FraudCase, FraudSignal
from core.domain.codec import to_json
from core.services.ports.fraud import CaseFindings
from db.repositories.fraud_inputs import FraudInputQueries
from db.tables import UserRow
from db.tables_affiliates import FraudCaseRow, ReferralCodeRow

CASES = FraudCaseRow.__table__
OPEN = CaseStatus.OPEN.value
DECIDED = (CaseStatus.CLEARED.value, CaseStatus.CONFIRMED.value)


class SqlFraudRepository(FraudInputQueries):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open_case(self, affiliate_user_id: int) -> FraudCase | None:
        query = select(FraudCaseRow).where(
            FraudCaseRow.affiliate_user_id == affiliate_user_id, FraudCaseRow.status == OPEN
        )
        row = await self.session.scalar(query.with_for_update())
        return case_from_row(row) if row is not None else None

    async def last_decided(self, affiliate_user_id: int) -> FraudCase | None:
        query = select(FraudCaseRow).where(
            FraudCaseRow.affiliate_user_id == affiliate_user_id, FraudCaseRow.status.in_(DECIDED)
        )
        row = await self.session.scalar(query.order_by(FraudCaseRow.decided_at.desc()).limit(1))
        return case_from_row(row) if row is not None else None

    async def open(self, affiliate_user_id: int, findings: CaseFindings, now: datetime) -> FraudCase | None:
        values = {
            "affiliate_user_id": affiliate_user_id,
            "status": OPEN,
            "opened_at": now,
            **_found(findings, now),
        }
        statement = (
            insert(CASES)
            .values(**values)
            .on_conflict_do_nothing(
                index_elements=[CASES.c.affiliate_user_id], index_where=text("status = 'open'")
            )
            .returning(CASES.c.id)
        )
        case_id = (await self.session.execute(statement)).scalar_one_or_none()
        return await self.get(case_id) if case_id is not None else None

    async def update_open(self, case_id: int, findings: CaseFindings, now: datetime) -> None:
        statement = update(CASES).where(CASES.c.id == case_id, CASES.c.status == OPEN)
        await self.session.execute(statement.values(**_found(findings, now)))

    async def get(self, case_id: int) -> FraudCase | None:
        row = await self.session.get(FraudCaseRow, case_id, populate_existing=True)
        return case_from_row(row) if row is not None else None

    async def queue(self, limit: int) -> list[FraudCase]:
        # a case put off ("later") has decided_at set while still open: it goes behind every case never
        # put off, and the put-off ones come round again in the order they were put off
        put_off = FraudCaseRow.decided_at.is_not(None)
        order = (put_off, func.coalesce(FraudCaseRow.decided_at, FraudCaseRow.opened_at), FraudCaseRow.id)
        query = select(FraudCaseRow).where(FraudCaseRow.status == OPEN).order_by(*order).limit(limit)
        return [case_from_row(row) for row in await self.session.scalars(query)]

    async def count_open(self) -> int:
        query = select(func.count()).select_from(CASES).where(CASES.c.status == OPEN)
        return int((await self.session.execute(query)).scalar_one())

    async def decide(
        self, case_id: int, status: CaseStatus, by: str, decision: str, now: datetime
    ) -> FraudCase | None:
        statement = (
            update(CASES)
            .where(CASES.c.id == case_id, CASES.c.status == OPEN)
            .values(status=status.value, decided_at=now, decided_by=by, decision=decision)
            .returning(CASES.c.id)
        )
        if (await self.session.execute(statement)).scalar_one_or_none() is None:
            return None
        return await self.get(case_id)

    async def ban_code(self, user_id: int, reason: str, now: datetime) -> bool:
        codes = ReferralCodeRow.__table__
        statement = (
            update(codes)
            .where(codes.c.user_id == user_id, codes.c.banned_at.is_(None))
            .values(banned_at=now, ban_reason=reason[:200])
            .returning(codes.c.user_id)
        )
        return (await self.session.execute(statement)).scalar_one_or_none() is not None

    async def who(self, user_id: int) -> tuple[int, str] | None:
        row = (
            await self.session.execute(
                select(UserRow.telegram_id, UserRow.first_name).where(UserRow.id == user_id)
            )
        ).one_or_none()
        return (row[0], row[1]) if row is not None else None


def _found(findings: CaseFindings, now: datetime) -> dict[str, Any]:
    signals = {"signals": to_json(findings.signals), "reasons": list(findings.reasons)}
    return {
        "score": findings.score,
        "signals": signals,
        "rule_version": findings.rule_version,
        "updated_at": now,
    }


def case_from_row(row: FraudCaseRow) -> FraudCase:
    stored = row.signals or {}
    signals = tuple(
        FraudSignal(s["rule"], Decimal(s["weight"]), dict(s.get("evidence") or {}))
        for s in stored.get("signals", ())
    )
    return FraudCase(
        id=row.id,
        affiliate_user_id=row.affiliate_user_id,
        status=CaseStatus(row.status),
        score=row.score,
        signals=signals,
        reasons=tuple(stored.get("reasons", ())),
        rule_version=row.rule_version,
        opened_at=row.opened_at,
        updated_at=row.updated_at,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        decision=row.decision,
    )
