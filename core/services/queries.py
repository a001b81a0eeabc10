"""Read side for the bot and the operator API: always through the cache, never stale past its TTL."""

from __future__ import annotations

from core.domain.account_key import AccountKey
from core.domain.models import AccountView, LinkedAccount, User
from core.services.account_lookup import links_named
from core.services.errors import AmbiguousAccount, NotFound
from core.services.ports import UnitOfWorkFactory, ViewCache


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
        view = await self.cache.account_view(account_id, self.ttl_seconds, lambda: self._load(account_id))
        if view is None:
            raise NotFound(f"account {account_id}")
        return view

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

    async def _load(self, account_id: int) -> AccountView | None:
        async with self.uow() as uow:
            return await uow.states.view(account_id)
