"""SQL for referral codes and first-touch referrals (issue 11). Both writes are `ON CONFLICT DO NOTHING`
on the table's key, so a retried or concurrent /referral keeps one code and two concurrent /start
ref_<code> of one referee record one referral (the first to commit)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.affiliates import Referral
from core.domain.affiliates.referrals import ReferralCode
from db.tables import UserRow
from db.tables_affiliates import ReferralCodeRow, ReferralRow

CODES = ReferralCodeRow.__table__
REFERRALS = ReferralRow.__table__
CODE_WITH_OWNER = select(
    ReferralCodeRow.user_id, UserRow.telegram_id, ReferralCodeRow.code, ReferralCodeRow.banned_at
).join(UserRow, UserRow.id == ReferralCodeRow.user_id)
# UNION (not UNION ALL) keeps each user once, so the walk ends even on a chain that already loops.
CHAIN = text(
    """
    WITH RECURSIVE chain(user_id) AS (
        SELECT referrer_user_id FROM referrals WHERE referee_user_id = :user_id
        UNION
        SELECT r.referrer_user_id FROM referrals r JOIN chain c ON r.referee_user_id = c.user_id
    )
    SELECT user_id FROM chain WHERE user_id <> :user_id
    """
)


class SqlReferralRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def code_of_user(self, user_id: int) -> ReferralCode | None:
        row = (await self.session.execute(CODE_WITH_OWNER.where(ReferralCodeRow.user_id == user_id))).first()
        return None if row is None else ReferralCode(row[0], row[1], row[2], row[3] is not None)

    async def create_code(self, user_id: int, code: str, now: datetime) -> ReferralCode | None:
        values = {"user_id": user_id, "code": code, "created_at": now}
        await self.session.execute(insert(CODES).values(values).on_conflict_do_nothing())
        return await self.code_of_user(user_id)  # theirs, whoever wrote it; None if `code` was taken

    async def by_code(self, code: str) -> ReferralCode | None:
        row = (await self.session.execute(CODE_WITH_OWNER.where(ReferralCodeRow.code == code))).first()
        return None if row is None else ReferralCode(row[0], row[1], row[2], row[3] is not None)

    async def referrer_chain(self, user_id: int) -> list[int]:
        return list((await self.session.execute(CHAIN, {"user_id": user_id})).scalars())

    async def add(self, referral: Referral) -> bool:
        values = asdict(referral)  # the record's fields are the table's columns
        statement = insert(REFERRALS).values(values).on_conflict_do_nothing().returning(REFERRALS.c.code)
        return (await self.session.execute(statement)).first() is not None
