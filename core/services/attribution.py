"""Trade attribution (issue 10): a user's closed trades, bot or manual, from STORED deals only, so the
report can be reproduced; the history a trader imports from a report (/import); the data of the /report
picture.

Who may see what is decided here: a trader their own accounts, an admin any user's (`/attribution`,
refused and audited for anyone else), the operator API any user's (a token of the operator role).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from core.domain.account_key import AccountKey
from core.domain.attribution import Attribution, ClosedTrade, attribute
from core.domain.models import AuditEntry, LinkedAccount, User
from core.domain.snapshot import Deal
from core.services.errors import AmbiguousAccount, Forbidden, InvalidInput, NotFound
from core.services.ports import Clock, EquityPoint, UnitOfWork, UnitOfWorkFactory
from core.services.signals import OPERATOR_ROLE

DAYS_MIN, DAYS_MAX = 1, 3650
HUNDRED = Decimal(100)
_DAYS = re.compile(r"[0-9]{1,4}", re.ASCII)
_USERNAME = re.compile(r"@?([A-Za-z][A-Za-z0-9_]{3,31})", re.ASCII)
_TELEGRAM_ID = re.compile(r"[1-9][0-9]{0,18}", re.ASCII)

RequireAdmin = Callable[[User, str], Awaitable[None]]


def parse_days(text: str | None) -> int | None:
    """`/trades 30`, `?days=30`: a whole number of days from 1 to 3650, or None (all history)."""
    if text is None:
        return None
    if not _DAYS.fullmatch(text) or not DAYS_MIN <= int(text) <= DAYS_MAX:
        raise InvalidInput(f"days: a whole number from {DAYS_MIN} to {DAYS_MAX}")
    return int(text)


@dataclass(frozen=True)
class AccountAttribution:
    login: int
    server: str
    currency: str | None
    attribution: Attribution


@dataclass(frozen=True)
class UserAttribution:
    telegram_id: int
    days: int | None  # None: the whole stored history
    accounts: tuple[AccountAttribution, ...]


@dataclass(frozen=True)
class Imported:
    """What an /import stored: `new` deals, `known` ones (stored before, by the EA or an earlier
    import), the period the report covers."""

    login: int
    server: str
    new: int
    known: int
    first: datetime | None
    last: datetime | None


@dataclass(frozen=True)
class AccountHistory:
    """One account's /report picture: equity points, closed trades and the guard's limit now."""

    login: int
    server: str
    points: tuple[EquityPoint, ...]
    trades: tuple[ClosedTrade, ...]
    limit_equity: Decimal | None


class AttributionService:
    def __init__(
        self, uow: UnitOfWorkFactory, require_admin: RequireAdmin, clock: Clock, max_drawdown_percent: Decimal
    ) -> None:
        self.uow = uow
        self.require_admin = require_admin
        self.clock = clock
        self.max_drawdown_percent = max_drawdown_percent

    async def mine(self, actor: User, days: int | None) -> UserAttribution:
        """`/trades [days]`: the trader's own accounts."""
        return await self._of(actor, _checked(days))

    async def of_user(self, actor: User, who: str, days: int | None) -> UserAttribution:
        """`/attribution <telegram id | @username>`: admins only (anyone else refused and audited)."""
        await self.require_admin(actor, "attribution")
        days = _checked(days)
        async with self.uow() as uow:
            target = await _user_named(uow, who)
        return await self._of(target, days)

    async def for_operator(self, role: str, telegram_id: int, days: int | None) -> UserAttribution:
        """`GET /v1/users/{telegram_id}/attribution`: any user's, for an operator token."""
        if role != OPERATOR_ROLE:
            raise Forbidden(f"role {role!r} may not read attribution")
        days = _checked(days)
        async with self.uow() as uow:
            target = await uow.users.by_telegram_id(telegram_id)
        if target is None:
            raise NotFound(f"user {telegram_id}")
        return await self._of(target, days)

    async def _of(self, user: User, days: int | None) -> UserAttribution:
        since = None if days is None else self.clock() - timedelta(days=days)
        found = []
        async with self.uow() as uow:
            for link in await uow.accounts.of_user(user.id):
                view = await uow.states.view(link.id)
                split = await _attribution(uow, link.id, since)
                currency = view.currency if view is not None else None
                found.append(AccountAttribution(link.login, link.server, currency, split))
        return UserAttribution(user.telegram_id, days, tuple(found))

    async def import_deals(
        self, actor: User, login: int, server: str | None, deals: tuple[Deal, ...], source: str
    ) -> Imported:
        """Store the deals of a report (`source`: its format, for the audit) on the sender's link it
        names (login, and server when the report names one). NotFound: no such link of theirs;
        AmbiguousAccount: the login on several of their servers and the report names none. Either way
        nothing is stored."""
        now = self.clock()
        async with self.uow() as uow:
            link = _link_named(await uow.accounts.of_user(actor.id), login, server)
            new = await uow.history.add_imported(link.id, deals)
            known = len({deal.ticket for deal in deals}) - new
            first, last = _period(deals)
            details = {"format": source, "server": link.server, "new": new, "known": known}
            who = f"user:{actor.telegram_id}"
            await uow.audit.append(AuditEntry(who, "import.statement", f"account:{link.login}", details), now)
            await uow.commit()
        return Imported(link.login, link.server, new, known, first, last)

    async def history(self, actor: User, key: AccountKey | None, days: int | None) -> list[AccountHistory]:
        """`/report [days]` for each of the trader's accounts, or the one `key` names (NotFound if none)."""
        days = _checked(days)
        since = None if days is None else self.clock() - timedelta(days=days)
        found = []
        async with self.uow() as uow:
            for link in await uow.accounts.of_user(actor.id):
                if key is not None and (link.login != key.login or key.server not in (None, link.server)):
                    continue
                trades = (await _attribution(uow, link.id, since)).trades
                points = await uow.history.equity(link.id, since)
                limit = await self._limit_equity(uow, link.id)
                found.append(AccountHistory(link.login, link.server, tuple(points), trades, limit))
        if key is not None and not found:
            raise NotFound(str(key))
        return found

    async def _limit_equity(self, uow: UnitOfWork, account_id: int) -> Decimal | None:
        """The equity at which the guard liquidates now: the peak less the account's max drawdown."""
        view = await uow.states.view(account_id)
        if view is None or view.peak_equity is None:
            return None
        percent = min(self.max_drawdown_percent, view.personal_limit or self.max_drawdown_percent)
        return view.peak_equity * (HUNDRED - percent) / HUNDRED


async def _attribution(uow: UnitOfWork, account_id: int, since: datetime | None) -> Attribution:
    deals = await uow.history.deals(account_id)
    expected = await uow.signals.expected(account_id)
    bot = await uow.history.bot_tickets(account_id) | {e.ticket for e in expected if e.ticket is not None}
    return attribute(deals, bot_tickets=bot, expected=expected, since=since)


async def _user_named(uow: UnitOfWork, who: str) -> User:
    """A user by Telegram id (`123456`) or @username; InvalidInput for neither, NotFound for nobody."""
    who = who.strip()
    if _TELEGRAM_ID.fullmatch(who) and int(who) < 2**63:
        found = await uow.users.by_telegram_id(int(who))
    elif (named := _USERNAME.fullmatch(who)) is not None:
        found = await uow.history.user_named(named.group(1))
    else:
        raise InvalidInput("user: a Telegram user id or @username")
    if found is None:
        raise NotFound(who)
    return found


def _link_named(links: list[LinkedAccount], login: int, server: str | None) -> LinkedAccount:
    matching = [link for link in links if link.login == login and server in (None, link.server)]
    if not matching:
        raise NotFound(f"{login}@{server}" if server else str(login))
    if len(matching) > 1:
        raise AmbiguousAccount([f"{link.login}@{link.server}" for link in matching])
    return matching[0]


def _period(deals: tuple[Deal, ...]) -> tuple[datetime | None, datetime | None]:
    times = [deal.time for deal in deals]
    return (min(times), max(times)) if times else (None, None)


def _checked(days: int | None) -> int | None:
    if days is not None and (isinstance(days, bool) or not DAYS_MIN <= days <= DAYS_MAX):
        raise InvalidInput(f"days: a whole number from {DAYS_MIN} to {DAYS_MAX}")
    return days
