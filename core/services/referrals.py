"""Referral codes, first-touch attribution on /start ref_<code>, and what /referral shows (issue 11).

Attribution happens only for a Telegram user the bot had never seen before the update that carried the
link (the caller says so: UserService.first_contact): a known user opening someone's link changes
nothing. The referral, the referrer's alert and the audit row commit together; the referrals table's
key (the referee) makes the first touch win even when two updates race."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from core.domain.affiliates import Referral
from core.domain.affiliates.referrals import CODE_BYTES, ReferralCode, Refusal, code_of, is_code, refusal
from core.domain.alerts import ReferralSignedUp
from core.domain.models import Alert, AuditEntry, User
from core.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from core.services.ports.affiliate_stats import AffiliateStanding
from core.services.ports.outbox import Doorbell

log = logging.getLogger(__name__)
CODE_ATTEMPTS = 5  # a drawn code another user already has is drawn again (2^-72 odds each time)


@dataclass(frozen=True)
class ReferralOverview:
    code: str
    standing: AffiliateStanding


def draw_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


class ReferralService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        doorbell: Doorbell | None = None,
        draw: Callable[[], str] = draw_code,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.doorbell = doorbell
        self.draw = draw

    async def code_for(self, user: User) -> str:
        """The user's code, created on first ask; two concurrent first asks give one code."""
        async with self.uow() as uow:
            found = await uow.referrals.code_of_user(user.id)
            if found is not None:
                return found.code
        for _ in range(CODE_ATTEMPTS):
            candidate = self.draw()
            if not is_code(candidate):
                raise ValueError("a drawn referral code must match core.domain.affiliates.referrals.CODE")
            async with self.uow() as uow:
                created = await uow.referrals.create_code(user.id, candidate, self.clock())
                await uow.commit()
            if created is not None:
                return created.code
        raise RuntimeError(f"no free referral code after {CODE_ATTEMPTS} draws")

    async def overview(self, user: User) -> ReferralOverview:
        """/referral: the user's own code and standing (only ever their own: no one else is named)."""
        code = await self.code_for(user)
        async with self.uow() as uow:
            standing = await uow.affiliate_stats.standing(user.id, self.clock())
        return ReferralOverview(code, standing)

    async def attribute(self, referee: User, payload: str, *, first_contact: bool) -> Refusal | None:
        """Record `referee` as referred by the owner of the code in `payload` (`ref_<code>`); None when
        recorded, else why not (logged at INFO; the greeting is the same either way)."""
        code = code_of(payload)
        if code is None:
            return Refusal.NOT_A_REFERRAL
        if not first_contact:
            return _refused(referee, code, Refusal.KNOWN_USER)
        now = self.clock()
        async with self.uow() as uow:
            owner, reason = await _check(uow, referee, code)
            if reason is None and not await uow.referrals.add(Referral(referee.id, owner.user_id, code, now)):
                reason = Refusal.ALREADY_REFERRED
            if reason is not None:
                return _refused(referee, code, reason)
            await _record(uow, referee, owner.telegram_id, code, now)
            await uow.commit()
        if self.doorbell is not None:
            await self.doorbell.ring()
        return None


async def _check(uow: UnitOfWork, referee: User, code: str) -> tuple[ReferralCode, Refusal | None]:
    """The code's owner, and why they may not refer `referee` (None: they may)."""
    owner = await uow.referrals.by_code(code)
    if owner is None:
        return ReferralCode(0, 0, code, banned=False), Refusal.UNKNOWN_CODE
    if owner.banned:
        return owner, Refusal.BANNED_CODE
    return owner, refusal(referee.id, owner.user_id, set(await uow.referrals.referrer_chain(owner.user_id)))


async def _record(uow: UnitOfWork, referee: User, referrer_chat: int, code: str, now: datetime) -> None:
    """The referrer's alert and the audit row, in the referral's transaction."""
    alert = ReferralSignedUp(referee_first_name=referee.first_name)
    await uow.outbox.add(Alert(f"referral:{referee.id}", referrer_chat, alert))
    details = {"code": code, "referee": referee.telegram_id}
    await uow.audit.append(
        AuditEntry(f"user:{referee.telegram_id}", "referral.attributed", f"user:{referrer_chat}", details),
        now,
    )


def _refused(referee: User, code: str, reason: Refusal) -> Refusal:
    log.info("referral not attributed: user %s, code %s: %s", referee.telegram_id, code, reason.value)
    return reason
