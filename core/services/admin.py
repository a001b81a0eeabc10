"""Admin actions on accounts and the admin's views. Every action is audited with who did it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from core.domain import guard as g
from core.domain.models import AccountView, AuditEntry, User
from core.services.errors import Forbidden, InvalidInput, NotFound
from core.services.guard import GuardService
from core.services.ports import Clock, Doorbell, UnitOfWorkFactory, ViewCache

ACTIONS = ("liquidate", "lock", "unlock", "reset_peak")
GUARD_STATES = tuple(status.value for status in g.GuardStatus)


@dataclass(frozen=True)
class AccountDetail:
    view: AccountView
    guard: dict[str, Any] | None
    pending_commands: int


def parse_login(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 2**63:
        raise InvalidInput("login")
    return int(text)


class AdminService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        guard: GuardService,
        cache: ViewCache,
        doorbell: Doorbell,
        admin_ids: tuple[int, ...],
        clock: Clock,
    ) -> None:
        self.uow = uow
        self.guard = guard
        self.cache = cache
        self.doorbell = doorbell
        self.admin_ids = admin_ids
        self.clock = clock

    def require_admin(self, telegram_id: int) -> None:
        if telegram_id not in self.admin_ids:
            raise Forbidden("admins only")

    async def act(self, admin_id: int, login: int, action: str, note: str = "") -> g.GuardState:
        """Liquidate, lock, unlock or reset the peak; checked again here, whatever the front end did."""
        self.require_admin(admin_id)
        if action not in ACTIONS:
            raise InvalidInput("action")
        now = self.clock()
        async with self.uow() as uow:
            account = await uow.accounts.by_login(login)
            if account is None:
                raise NotFound(str(login))
            actor = f"admin:{admin_id}"
            state = await self.guard.admin_action(uow, account.id, action, actor, note, now)
            details = {"action": action, "note": note, "status": state.status.value}
            await uow.audit.append(AuditEntry(actor, f"admin.{action}", f"account:{login}", details), now)
            await uow.commit()
        await self.cache.invalidate_account(account.id)
        await self.doorbell.ring()
        return state

    async def detail(self, login: int) -> AccountDetail:
        async with self.uow() as uow:
            account = await uow.accounts.by_login(login)
            if account is None:
                raise NotFound(str(login))
            view = await uow.states.view(account.id)
            guard = await uow.states.guard(account.id)
            pending = await uow.commands.pending_count(account.id, self.clock())
        assert view is not None
        return AccountDetail(view, guard, pending)

    async def accounts(self, status: str | None, limit: int = 200) -> list[AccountView]:
        if status is not None and status not in GUARD_STATES:
            raise InvalidInput("status")
        async with self.uow() as uow:
            return await uow.accounts.all_with_state(status, limit)


class PreferenceService:
    """A trader's own settings: a stricter drawdown limit for their accounts (never a looser one)."""

    def __init__(
        self, uow: UnitOfWorkFactory, cache: ViewCache, service_limit: Decimal, clock: Clock
    ) -> None:
        self.uow = uow
        self.cache = cache
        self.service_limit = service_limit
        self.clock = clock

    async def set_drawdown_limit(self, user: User, text: str | None) -> Decimal | None:
        percent = None if text in (None, "off") else _percent(text or "")
        if percent is not None:
            try:
                g.validate_personal_limit(percent, self.service_limit)
            except g.PersonalLimitError as error:
                raise InvalidInput("limit_looser") from error
        async with self.uow() as uow:
            accounts = await uow.accounts.of_user(user.id)
            for account in accounts:
                await uow.accounts.set_personal_limit(account.id, percent)
            details = {"percent": None if percent is None else str(percent)}
            entry = AuditEntry(
                f"user:{user.telegram_id}", "settings.drawdown_limit", f"user:{user.telegram_id}", details
            )
            await uow.audit.append(entry, self.clock())
            await uow.commit()
        for account in accounts:
            await self.cache.invalidate_account(account.id)
        return percent


def _percent(text: str) -> Decimal:
    try:
        value = Decimal(text.strip().rstrip("%").replace(",", "."))
    except InvalidOperation:
        raise InvalidInput("limit_number") from None
    if not value.is_finite() or value <= 0 or value >= 100:
        raise InvalidInput("limit_number")
    return value.quantize(Decimal("0.01"))
