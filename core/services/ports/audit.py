"""The audit log: who did what to which account or user, one hash chain over every row (docs: README
"Audit"). Writers only `append`; the rest serves `tradeguard audit verify`, /audit, /ready and privacy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from core.domain.models import AuditEntry


@dataclass(frozen=True)
class AuditRecord:
    """One stored row as written: `actor`/`subject`/`details` hold no personal values in version 2 (those
    are in `personal`, None once erased)."""

    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    details: dict[str, Any]
    prev_hash: str
    hash: str
    version: int = 1
    chain_prev: str | None = None
    personal: dict[str, Any] | None = None
    personal_digest: str | None = None


@dataclass(frozen=True)
class ChainHead:
    id: int
    hash: str
    count: int


class AuditRepository(Protocol):
    async def append(self, entry: AuditEntry, now: datetime) -> None: ...
    async def append_many(self, entries: list[AuditEntry], now: datetime) -> None: ...
    async def erase_personal(self, telegram_id: int, now: datetime) -> int: ...
    async def walk(self, after_id: int, limit: int) -> list[AuditRecord]: ...
    async def head(self) -> ChainHead | None: ...
    async def about(
        self, refs: list[str], telegram_id: int | None, since: datetime, offset: int, limit: int
    ) -> tuple[list[AuditRecord], int]: ...
