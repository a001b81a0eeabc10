"""Redis-side copies of what Postgres holds: the cached account view and each user's list of links (the
latest snapshot is in the hot state, core.services.ports.hot)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.domain.models import AccountView, LinkedAccount


@dataclass
class CacheCounts:
    """Lookups since start by kind of entry (`view`, `accounts`): answered from the cache, or loaded."""

    hits: Counter[str] = field(default_factory=Counter)
    misses: Counter[str] = field(default_factory=Counter)

    def hit(self, kind: str) -> None:
        self.hits[kind] += 1

    def miss(self, kind: str) -> None:
        self.misses[kind] += 1


class ViewCache(Protocol):
    counts: CacheCounts

    async def account_view(
        self, account_id: int, ttl_seconds: int, load: Callable[[], Awaitable[AccountView | None]]
    ) -> AccountView | None: ...
    async def account_json(
        self,
        account_id: int,
        kind: str,
        ttl_seconds: int,
        load: Callable[[], Awaitable[dict[str, Any] | None]],
    ) -> dict[str, Any] | None:
        """Another cached view of an account (`kind`, e.g. "reconciliation"), as JSON: dropped with the
        account's view by `invalidate_account`."""
        ...

    async def invalidate_account(self, account_id: int) -> None: ...
    async def user_accounts(
        self,
        user_id: int,
        ttl_seconds: int,
        load: Callable[[], Awaitable[list[LinkedAccount]]],
        quiet: bool = False,
    ) -> list[LinkedAccount]:
        """`quiet`: a write-through after a commit, whose success is reported only as a recovery."""
        ...

    async def invalidate_user(self, user_id: int) -> None: ...
