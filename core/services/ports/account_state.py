"""An account's latest snapshot and its guard's state."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.domain.guard.state import GuardState
from core.domain.models import AccountView, SnapshotContext
from core.domain.snapshot import Snapshot
from core.services.ports.hot import HotSeed
from core.services.ports.values import JsonDict


class AccountStateRepository(Protocol):
    async def lock_for_snapshot(self, account_id: int, device_id: str) -> SnapshotContext:
        """The account row locked until the unit of work ends, with what judging a snapshot needs
        (`last_seq` is the sending device's own)."""
        ...

    async def save_snapshot(
        self,
        account_id: int,
        device_id: str,
        snapshot: Snapshot,
        snapshot_json: JsonDict,
        guard: GuardState,
        due_at: datetime | None,
        now: datetime,
        rev: int = 0,
    ) -> None: ...
    async def guard(self, account_id: int) -> GuardState | None: ...
    async def lock_guard(self, account_id: int, skip_locked: bool = False) -> GuardState | None: ...
    async def save_guard(
        self, account_id: int, guard: GuardState, due_at: datetime | None, rev: int | None = None
    ) -> None: ...
    async def rev(self, account_id: int) -> int:
        """The rev of the stored guard state (core.services.ports.hot); 0 before the first snapshot."""
        ...

    async def hot_seed(self, account_id: int) -> HotSeed | None: ...
    async def due_for_tick(self, now: datetime, limit: int) -> list[int]: ...
    async def view(self, account_id: int) -> AccountView | None: ...
