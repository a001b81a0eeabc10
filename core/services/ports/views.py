"""Redis-side copies of what Postgres holds: the cached account view (the latest snapshot is in the
hot state, core.services.ports.hot)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from core.domain.models import AccountView


class ViewCache(Protocol):
    async def account_view(
        self, account_id: int, ttl_seconds: int, load: Callable[[], Awaitable[AccountView | None]]
    ) -> AccountView | None: ...
    async def invalidate_account(self, account_id: int) -> None: ...
