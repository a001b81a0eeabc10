"""Admin actions on accounts and the admin's views. Every action is audited with who did it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.domain import guard as g
from core.domain.account_key import AccountKey
from core.domain.models import AccountView, AuditEntry, LinkedAccount, User
from core.services.account_lookup import links_named
from core.services.errors import Forbidden, InvalidInput, NotFound
from core.services.guard import ADMIN_ACTIONS, GuardService
from core.services.ports import Clock, Doorbell, UnitOfWork, UnitOfWorkFactory, ViewCache
from core.services.queries import AccountQueries, hot_view

GUARD_STATES = tuple(status.value for status in g.GuardStatus)


@dataclass(frozen=True)
class AccountDetail:
    view: AccountView
    guard: dict[str, Any] | None
    pending_commands: int


class AdminService:
    """Every operation takes the acting user and refuses (and audits) anyone who is not an admin, here
    in the use case: no front end can open a hole by parsing a command differently."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        guard: GuardService,
        cache: ViewCache,
        doorbell: Doorbell,
        admin_ids: tuple[int, ...],
        clock: Clock,
        views: AccountQueries | None = None,
    ) -> None:
        self.uow = uow
        self.guard = guard
        self.views = views  # the hot state's view, ahead of Postgres by what is written behind
        self.cache = cache
        self.doorbell = doorbell
        self.admin_ids = admin_ids
        self.clock = clock

    async def require_admin(self, actor: User, operation: str) -> None:
        if actor.telegram_id in self.admin_ids:
            return
        entry = AuditEntry(
            f"user:{actor.telegram_id}", "admin.refused", f"user:{actor.telegram_id}", {"command": operation}
        )
        async with self.uow() as uow:
            await uow.audit.append(entry, self.clock())
            await uow.commit()
        raise Forbidden("admins only")

    async def act(self, actor: User, key: AccountKey, action: str, note: str = "") -> list[g.GuardState]:
        """Liquidate, lock, unlock or reset the peak of every link of one login@server (a shared pair is
        one broker account). Refused as a whole only when no link's state allows it."""
        await self.require_admin(actor, action)
        if action not in ADMIN_ACTIONS:  # refused before anything is read or written, never mapped
            raise InvalidInput(f"unknown admin action {action!r}: one of {', '.join(ADMIN_ACTIONS)}")
        async with self.uow() as uow:
            links = await links_named(uow, key)
        done: list[g.GuardState] = []
        rejected: g.GuardActionRejected | None = None
        for link in links:
            try:
                done.append(await self._act_on(actor, link, action, note))
            except g.GuardActionRejected as error:
                rejected = error
        if not done and rejected is not None:
            raise rejected
        await self.doorbell.ring()
        return done

    async def _act_on(self, actor: User, link: LinkedAccount, action: str, note: str) -> g.GuardState:
        now = self.clock()
        async with self.uow() as uow:
            who = f"admin:{actor.telegram_id}"
            state = await self.guard.admin_action(uow, link.id, action, who, note, now)
            details = {"action": action, "note": note, "status": state.status.value, "server": link.server}
            await uow.audit.append(AuditEntry(who, f"admin.{action}", f"account:{link.login}", details), now)
            await uow.commit()
        await self.cache.invalidate_account(link.id)
        return state

    async def key_of(self, actor: User, account_id: int) -> AccountKey:
        """The login@server of a link (confirmation buttons carry the link's id: it fits in 64 bytes)."""
        await self.require_admin(actor, "account")
        async with self.uow() as uow:
            link = await uow.accounts.get(account_id)
        if link is None:
            raise NotFound(str(account_id))
        return AccountKey(link.login, link.server)

    async def detail(self, actor: User, key: AccountKey) -> list[AccountDetail]:
        """Every link of one login@server, oldest first (a shared pair shows each owner's own data)."""
        await self.require_admin(actor, "account")
        details = []
        async with self.uow() as uow:
            for link in await links_named(uow, key):
                view = await uow.states.view(link.id)
                assert view is not None
                guard = await uow.states.guard(link.id)
                hot = await self.views.hot_state(link.id) if self.views else None
                if hot is not None and hot.guard is not None:
                    view, guard = hot_view(link.id, hot), hot.guard
                pending = await uow.commands.pending_count(link.id, self.clock())
                details.append(AccountDetail(view, None if guard is None else guard.to_dict(), pending))
        return details

    async def accounts(self, actor: User, status: str | None, limit: int = 200) -> list[AccountView]:
        await self.require_admin(actor, "accounts_all")
        if status is not None and status not in GUARD_STATES:
            raise InvalidInput("status")
        async with self.uow() as uow:
            return await uow.accounts.all_with_state(status, limit)


@dataclass(frozen=True)
class LimitChange:
    """What `/settings limit` did. Not `applied`: the limit would close out an account at once (its
    drawdown is already `deepest_drawdown`), and waits for the trader to confirm."""

    percent: Decimal | None
    applied: bool = True
    deepest_drawdown: Decimal | None = None


class PreferenceService:
    """A trader's own settings: a stricter drawdown limit for their accounts (never a looser one)."""

    def __init__(
        self, uow: UnitOfWorkFactory, cache: ViewCache, service_limit: Decimal, clock: Clock
    ) -> None:
        self.uow = uow
        self.cache = cache
        self.service_limit = service_limit
        self.clock = clock

    async def set_drawdown_limit(
        self, user: User, text: str | None, *, confirmed: bool = False
    ) -> LimitChange:
        """Set (or, with "off", clear) the trader's limit, kept as `validate_personal_limit` rounds it.
        A limit that one of their accounts is already past is set only `confirmed`; every check runs
        again then, on the accounts and drawdowns of that moment."""
        percent = None if text in (None, "off") else _percent(text or "")
        if percent is not None:
            try:
                percent = g.validate_personal_limit(percent, self.service_limit)
            except g.PersonalLimitError as error:
                looser = percent > self.service_limit
                raise InvalidInput("limit_looser" if looser else "limit_number") from error
        async with self.uow() as uow:
            accounts = await uow.accounts.of_user(user.id)
            if percent is not None and not confirmed:
                deepest = await _deepest_breached_at_once(uow, [a.id for a in accounts], percent)
                if deepest is not None:
                    return LimitChange(percent, applied=False, deepest_drawdown=deepest)
            for account in accounts:
                await uow.accounts.set_personal_limit(account.id, percent)
            details = {"percent": None if percent is None else str(percent), "confirmed": confirmed}
            entry = AuditEntry(
                f"user:{user.telegram_id}", "settings.drawdown_limit", f"user:{user.telegram_id}", details
            )
            await uow.audit.append(entry, self.clock())
            await uow.commit()
        for account in accounts:
            await self.cache.invalidate_account(account.id)
        return LimitChange(percent)


async def _deepest_breached_at_once(
    uow: UnitOfWork, account_ids: list[int], percent: Decimal
) -> Decimal | None:
    """The deepest drawdown among the accounts `percent` would close out on their next snapshot."""
    deepest: Decimal | None = None
    for account_id in account_ids:
        state = await uow.states.guard(account_id)
        if state is not None and g.breaches_at_once(state, percent):
            deepest = max(state.drawdown_percent, deepest or state.drawdown_percent)
    return deepest


PERCENT = re.compile(r"[0-9]{1,2}(?:[.,][0-9]{1,6})?%?", re.ASCII)


def _percent(text: str) -> Decimal:
    """`12`, `12.5`, `12,355%`: ASCII digits only (Decimal() would also take "١٢" or "1e1"). Kept as
    written: the guard rounds it, toward the stricter (`validate_personal_limit`)."""
    text = text.strip()
    if not PERCENT.fullmatch(text):
        raise InvalidInput("limit_number")
    value = Decimal(text.rstrip("%").replace(",", "."))
    if value <= 0:
        raise InvalidInput("limit_number")
    return value
