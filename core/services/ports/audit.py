"""The audit log: who did what to which account or user."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.domain.models import AuditEntry


class AuditRepository(Protocol):
    async def append(self, entry: AuditEntry, now: datetime) -> None: ...
    async def append_many(self, entries: list[AuditEntry], now: datetime) -> None: ...
    async def erase_personal(self, telegram_id: int, now: datetime) -> int:
        """Erase the personal values of the entries naming this Telegram id (the chain still verifies);
        how many entries changed."""
        ...
