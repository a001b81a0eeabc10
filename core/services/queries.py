"""Read side for the bot and the operator API. An account's view comes from its hot state when Redis has
a current one (no Postgres, no write); otherwise through the view cache (cache-aside, CACHE_TTL_SECONDS;
0 turns it off) or Postgres. A user's list of links comes through the same cache, kept for
`accounts_ttl_seconds` (long: the linking service drops it and stores it anew after each commit that
changes it, `links_changed`), so /status of a hot account reads no Postgres, even in a process that
has just started."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from core.domain.account_key import AccountKey
from core.domain.models import AccountView, LinkedAccount, User
from core.services.account_lookup import links_named
from core.services.errors import AmbiguousAccount, NotFound
from core.services.health import Health, best_effort
from core.services.ports import UnitOfWorkFactory, ViewCache
from core.services.ports.hot import HotAccount, HotState


class AccountQueries:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        cache: ViewCache,
        ttl_seconds: int,
        hot: HotState | None = None,
        health: Health | None = None,
        accounts_ttl_seconds: int = 0,
    ) -> None:
        self.uow = uow
        self.cache = cache
        self.ttl_seconds = ttl_seconds
        self.accounts_ttl_seconds = max(accounts_ttl_seconds, ttl_seconds)
        self.hot = hot
        self.health = health or Health("hot-state-reads")

    async def accounts_of(self, user: User) -> list[LinkedAccount]:
        if self.ttl_seconds > 0:
            return await self._cached_accounts(user.id)
        return await self._accounts(user.id)

    async def links_changed(self, user_ids: Iterable[int]) -> None:
        """After a commit that changed these users' lists: each cached list is dropped, then stored anew
        from Postgres through the cache (its version and lock: a change committed meanwhile is never
        hidden by an older list), so the next read, in any process, finds it."""
        for user_id in user_ids:
            await self.cache.invalidate_user(user_id)
            if self.ttl_seconds > 0:
                await self._cached_accounts(user_id, quiet=True)

    async def _cached_accounts(self, user_id: int, quiet: bool = False) -> list[LinkedAccount]:
        return await self.cache.user_accounts(
            user_id, self.accounts_ttl_seconds, lambda: self._accounts(user_id), quiet
        )

    async def _accounts(self, user_id: int) -> list[LinkedAccount]:
        async with self.uow() as uow:
            return await uow.accounts.of_user(user_id)

    async def views_of(self, user: User) -> list[AccountView]:
        return [await self.view(account.id) for account in await self.accounts_of(user)]

    async def view(self, account_id: int) -> AccountView:
        view = await self._hot_view(account_id)
        if view is None and self.ttl_seconds > 0:
            view = await self.cache.account_view(account_id, self.ttl_seconds, lambda: self._load(account_id))
        elif view is None:
            view = await self._load(account_id)
        if view is None:
            raise NotFound(f"account {account_id}")
        return view

    async def _hot_view(self, account_id: int) -> AccountView | None:
        account = await self.hot_state(account_id)
        return None if account is None else hot_view(account_id, account)

    async def hot_state(self, account_id: int) -> HotAccount | None:
        """The account's hot state when it is current (not waiting for a refresh) and has a snapshot."""
        if self.hot is None:
            return None
        hot = self.hot
        missing: tuple[HotAccount | None, bool] = (None, False)
        account, _ = await best_effort(self.health, lambda: hot.read(account_id), missing)
        if account is None or account.refresh or account.guard is None or account.snapshot is None:
            return None
        return account

    async def view_named(self, key: AccountKey, owner_telegram_id: int | None = None) -> AccountView:
        """The account a script names by `<login>[@<server>]`; when users share that login@server, the
        caller picks one link by its owner's Telegram id."""
        return await self.view((await self.link_named(key, owner_telegram_id)).id)

    async def link_named(self, key: AccountKey, owner_telegram_id: int | None = None) -> LinkedAccount:
        """The one link `<login>[@<server>]` (and the owner, for a shared pair) names; NotFound or
        AmbiguousAccount otherwise: the operator API's rule for every per-account read."""
        async with self.uow() as uow:
            links = await links_named(uow, key)
        if owner_telegram_id is not None:
            links = [link for link in links if link.owner_telegram_id == owner_telegram_id]
            if not links:
                raise NotFound(f"account {key} of {owner_telegram_id}")
        if len(links) > 1:
            owners = [f"{link.login}@{link.server} owner={link.owner_telegram_id}" for link in links]
            raise AmbiguousAccount(owners)
        return links[0]

    async def _load(self, account_id: int) -> AccountView | None:
        async with self.uow() as uow:
            return await uow.states.view(account_id)


def hot_view(account_id: int, account: HotAccount) -> AccountView:
    """What db.repositories.account_state.to_view makes of the stored row, made of the hot state."""
    assert account.guard is not None and account.snapshot is not None
    info = account.snapshot["account"]
    context, guard = account.context, account.guard
    return AccountView(
        account_id=account_id,
        login=context.login,
        server=context.server,
        currency=info["currency"],
        balance=Decimal(info["balance"]),
        equity=Decimal(info["equity"]),
        margin=Decimal(info["margin"]),
        peak_equity=guard.peak_equity,
        last_snapshot_at=account.received_at,
        positions=tuple(account.snapshot.get("positions", ())),
        guard_status=guard.status.value,
        guard_stale=guard.stale,
        locked=guard.locked,
        personal_limit=context.personal_limit,
        shared=context.shared,
        owner_telegram_id=context.chat_id,
    )
