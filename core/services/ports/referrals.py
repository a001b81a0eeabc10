"""Port: referral codes and first-touch referrals (issue 11)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.domain.affiliates import Referral
from core.domain.affiliates.referrals import ReferralCode


class ReferralRepository(Protocol):
    async def code_of_user(self, user_id: int) -> ReferralCode | None: ...

    async def create_code(self, user_id: int, code: str, now: datetime) -> ReferralCode | None:
        """Give the user `code` unless they already have one (then theirs is returned: two concurrent
        calls give one code); None when `code` is another user's (the caller draws another)."""
        ...

    async def by_code(self, code: str) -> ReferralCode | None: ...

    async def referrer_chain(self, user_id: int) -> list[int]:
        """The user's referrer, theirs, and so on, each once (core.domain.affiliates.referrals)."""
        ...

    async def add(self, referral: Referral) -> bool:
        """Record a first touch; False (nothing changed) when the referee already has a referrer."""
        ...
