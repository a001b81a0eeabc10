"""SQL for referral codes and first-touch referrals (issue 11)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class SqlReferralRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
