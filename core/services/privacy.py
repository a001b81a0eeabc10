"""What a trader controls (issue 13, /privacy): their export, their deletion, and the retention of
snapshot history. Authorisation lives here: a trader reaches only their own data, found again by the
Telegram id of the update (a pseudonymised record is nobody's to act on)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from core.domain.models import AuditEntry, User
from core.services.errors import NotFound
from core.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from core.services.ports.privacy import (
    Erased,
    PersonalData,
    PrivacyRepository,
    PrivacyRepositoryFactory,
    is_pseudonym,
    pseudonym,
)

PURGE_BATCH = 5_000  # rows of snapshot history per transaction: a long purge never holds one for long

Tell = Callable[[Erased], Awaitable[None]]  # told before the commit that erases their chat id
Forget = Callable[[int], Awaitable[None]]  # the caches of a Telegram id, after the commit
LinksChanged = Callable[[Iterable[int]], Awaitable[None]]


async def _nothing(_: object) -> None:
    return None


@dataclass(frozen=True)
class RetentionPolicy:
    days: int
    batch: int = PURGE_BATCH


class PrivacyService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        repository: PrivacyRepositoryFactory,
        clock: Clock,
        retention: RetentionPolicy,
        forget: Forget = _nothing,
        links_changed: LinksChanged = _nothing,
    ) -> None:
        self.uow = uow
        self.repository = repository
        self.clock = clock
        self.retention = retention
        self.forget = forget
        self.links_changed = links_changed

    async def export(self, actor: User) -> PersonalData:
        """Everything stored about the asking trader, and nobody else; NotFound once they are erased."""
        async with self.uow() as uow:
            user = await _own_record(uow, actor)
            return await self.repository(uow).personal_data(user.id)

    async def delete(self, actor: User, tell: Tell) -> Erased | None:
        """Revoke the trader's devices and erase or pseudonymise their personal data, in one unit of work
        (audited without personal values); `tell` runs before the commit, so a trader who cannot be told
        keeps everything. None when there is nothing left to erase (a retry, a second press)."""
        now = self.clock()
        async with self.uow() as uow:
            try:
                user = await _own_record(uow, actor)
            except NotFound:
                return None
            repository = self.repository(uow)
            await repository.lock_user(user.id)
            again = await uow.users.by_telegram_id(actor.telegram_id)  # another press may have won the lock
            if again is None or again.id != user.id:
                return None
            erased = await self._erase(uow, repository, user, now)
            await tell(erased)
            await uow.commit()
        await self.forget(user.telegram_id)
        await self.links_changed([user.id])
        return erased

    async def _erase(
        self, uow: UnitOfWork, repository: PrivacyRepository, user: User, now: datetime
    ) -> Erased:
        accounts = await uow.accounts.of_user(user.id)
        for account in accounts:  # the bridge refuses their EAs at once (device news after the commit)
            await uow.devices.revoke_of_account(account.id, now)
        alias = pseudonym(user.id)
        erased = await repository.erase_user(user.id, user.telegram_id, alias, now)
        audit = await uow.audit.erase_personal(user.telegram_id, now)
        erased = Erased(
            accounts=len(accounts),
            devices_revoked=len(accounts),
            alerts=erased.alerts,
            payments=erased.payments,
            other_rows=erased.other_rows + audit,
            referral_code_banned=erased.referral_code_banned,
        )
        details: dict[str, object] = {"user_id": user.id, **asdict(erased)}
        who = f"user:{alias}"
        await uow.audit.append(AuditEntry(who, "privacy.erased", who, details), now)
        return erased

    async def purge_history(self) -> int:
        """One retention pass: snapshot history older than RETENTION_DAYS, in batches of its own
        transaction each, until none is left; how many rows went."""
        before = self.clock() - timedelta(days=self.retention.days)
        total = 0
        while True:
            async with self.uow() as uow:
                gone = await self.repository(uow).purge_history(before, self.retention.batch)
                await uow.commit()
            total += gone
            if gone < self.retention.batch:
                return total


async def _own_record(uow: UnitOfWork, actor: User) -> User:
    """The asking trader's own stored record, read again (not the caller's copy)."""
    if is_pseudonym(actor.telegram_id):
        raise NotFound("user")
    user = await uow.users.by_telegram_id(actor.telegram_id)
    if user is None:
        raise NotFound("user")
    return user
