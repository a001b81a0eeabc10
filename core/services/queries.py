"""Read side for the bot and the operator API: always through the cache, never stale past its TTL."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from core.domain.account_key import AccountKey
from core.domain.models import AccountView, LinkedAccount, User
from core.services.account_lookup import links_named
from core.services.errors import AmbiguousAccount, NotFound
from core.services.ports import UnitOfWorkFactory, ViewCache

_MONEY_FIELDS = ("balance", "equity", "margin", "peak_equity")


def view_to_json(view: AccountView) -> dict[str, Any]:
    data: dict[str, Any] = {
        "account_id": view.account_id,
        "login": view.login,
        "server": view.server,
        "currency": view.currency,
        "last_snapshot_at": view.last_snapshot_at.isoformat() if view.last_snapshot_at else None,
        "positions": list(view.positions),
        "guard_status": view.guard_status,
        "guard_stale": view.guard_stale,
        "locked": view.locked,
        "personal_limit": None if view.personal_limit is None else str(view.personal_limit),
        "shared": view.shared,
        "owner_telegram_id": view.owner_telegram_id,
    }
    for name in _MONEY_FIELDS:
        value = getattr(view, name)
        data[name] = None if value is None else str(value)
    return data


def view_from_json(data: dict[str, Any]) -> AccountView:
    money = {name: _decimal(data[name]) for name in _MONEY_FIELDS}
    seen = data["last_snapshot_at"]
    return AccountView(
        account_id=data["account_id"],
        login=data["login"],
        server=data["server"],
        currency=data["currency"],
        last_snapshot_at=datetime.fromisoformat(seen) if seen else None,
        positions=tuple(data["positions"]),
        guard_status=data["guard_status"],
        guard_stale=data["guard_stale"],
        locked=data["locked"],
        personal_limit=_decimal(data["personal_limit"]),
        shared=bool(data.get("shared")),
        owner_telegram_id=int(data.get("owner_telegram_id") or 0),
        balance=money["balance"],
        equity=money["equity"],
        margin=money["margin"],
        peak_equity=money["peak_equity"],
    )


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


class AccountQueries:
    def __init__(self, uow: UnitOfWorkFactory, cache: ViewCache, ttl_seconds: int) -> None:
        self.uow = uow
        self.cache = cache
        self.ttl_seconds = ttl_seconds

    async def accounts_of(self, user: User) -> list[LinkedAccount]:
        async with self.uow() as uow:
            return await uow.accounts.of_user(user.id)

    async def views_of(self, user: User) -> list[AccountView]:
        return [await self.view(account.id) for account in await self.accounts_of(user)]

    async def view(self, account_id: int) -> AccountView:
        data = await self.cache.account_view(account_id, self.ttl_seconds, lambda: self._load(account_id))
        if data is None:
            raise NotFound(f"account {account_id}")
        return view_from_json(data)

    async def view_named(self, key: AccountKey, owner_telegram_id: int | None = None) -> AccountView:
        """The account a script names by `<login>[@<server>]`; when users share that login@server, the
        caller picks one link by its owner's Telegram id."""
        async with self.uow() as uow:
            links = await links_named(uow, key)
        if owner_telegram_id is not None:
            links = [link for link in links if link.owner_telegram_id == owner_telegram_id]
            if not links:
                raise NotFound(f"account {key} of {owner_telegram_id}")
        if len(links) > 1:
            owners = [f"{link.login}@{link.server} owner={link.owner_telegram_id}" for link in links]
            raise AmbiguousAccount(owners)
        return await self.view(links[0].id)

    async def _load(self, account_id: int) -> dict[str, Any] | None:
        async with self.uow() as uow:
            view = await uow.states.view(account_id)
        return view_to_json(view) if view else None
