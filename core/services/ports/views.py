"""Redis-side copies of what Postgres holds: the cached account view and the latest snapshot."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from core.domain.models import AccountView
from core.services.ports.values import JsonDict


class ViewCache(Protocol):
    async def account_view(
        self, account_id: int, ttl_seconds: int, load: Callable[[], Awaitable[AccountView | None]]
    ) -> AccountView | None: ...
    async def invalidate_account(self, account_id: int) -> None: ...


class LatestSnapshots(Protocol):
    async def put(self, account_id: int, snapshot_json: JsonDict) -> None: ...
