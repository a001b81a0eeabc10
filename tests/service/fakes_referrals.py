"""In-memory ReferralRepository and AffiliateStatsRepository for service tests.

Codes live in `store.affiliates["referral_codes"]` (user id → ReferralCode) and referrals in
`store.affiliates["referrals"]` (referee id → Referral), with the tables' uniqueness rules. The figures
are what a test put in `store.affiliates["standing"]` (user id → AffiliateStanding) and
`store.affiliates["weeks"]` (list of WeekFigures): their SQL is tested against Postgres."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.domain.affiliates import Referral
from core.domain.affiliates.referrals import ReferralCode, referrer_chain
from core.services.ports.affiliate_stats import AffiliateStanding, WeekFigures


class FakeReferrals:
    def __init__(self, store: Any) -> None:
        self.s = store

    @property
    def codes(self) -> dict[int, ReferralCode]:
        return self.s.affiliates.setdefault("referral_codes", {})  # type: ignore[no-any-return]

    @property
    def referrals(self) -> dict[int, Referral]:
        return self.s.affiliates.setdefault("referrals", {})  # type: ignore[no-any-return]

    async def code_of_user(self, user_id: int) -> ReferralCode | None:
        return self.codes.get(user_id)

    async def create_code(self, user_id: int, code: str, now: datetime) -> ReferralCode | None:
        if user_id not in self.codes and all(found.code != code for found in self.codes.values()):
            telegram_id = next(u.telegram_id for u in self.s.users.values() if u.id == user_id)
            self.codes[user_id] = ReferralCode(user_id, telegram_id, code, banned=False)
        return self.codes.get(user_id)

    async def by_code(self, code: str) -> ReferralCode | None:
        return next((found for found in self.codes.values() if found.code == code), None)

    async def referrer_chain(self, user_id: int) -> list[int]:
        def referrer_of(user: int) -> int | None:
            found = self.referrals.get(user)
            return None if found is None else found.referrer_user_id

        return referrer_chain(user_id, referrer_of)

    async def add(self, referral: Referral) -> bool:
        if referral.referee_user_id in self.referrals:
            return False
        self.referrals[referral.referee_user_id] = referral
        return True


class FakeAffiliateStats:
    def __init__(self, store: Any) -> None:
        self.s = store

    async def standing(self, user_id: int, now: datetime) -> AffiliateStanding:
        signups = sum(
            1 for r in self.s.affiliates.get("referrals", {}).values() if r.referrer_user_id == user_id
        )
        given = self.s.affiliates.get("standing", {}).get(user_id)
        return given or AffiliateStanding(signups, 0, {}, None, None)

    async def weeks(self, since: datetime, now: datetime) -> list[WeekFigures]:
        weeks: list[WeekFigures] = self.s.affiliates.get("weeks", [])
        return [figures for figures in weeks if since.date() <= figures.week <= now.date()]
