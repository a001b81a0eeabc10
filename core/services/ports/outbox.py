"""Alerts owed to chats, recorded with the change that caused them, and the relay's doorbell."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from core.domain.models import Alert, PendingAlert


class OutboxRepository(Protocol):
    async def add(self, alert: Alert) -> bool:
        """Record an alert; False when its dedupe key was already recorded (nothing added)."""
        ...

    async def add_to_digest(self, alert: Alert, deliver_at: datetime) -> bool:
        """Append the digest's `items` to the pending digest with this key, or start it; False (and
        nothing added) when that digest has already been claimed for sending."""
        ...

    async def claim_due(
        self, now: datetime, limit: int, lease_seconds: int, per_chat: int
    ) -> list[PendingAlert]:
        """Lease up to `limit` due alerts, at most `per_chat` of a chat, of chats no other relay holds:
        a chat is held while one of its alerts is leased or waits for a retry."""
        ...

    async def release(self, alerts: Sequence[tuple[int, int]], now: datetime) -> None:
        """Give back leased alerts, as (id, attempts) from their claim, unsent and due at once."""
        ...

    async def drop_chat(self, chat_id: int, error: str) -> int:
        """Mark every alert still owed to this chat undeliverable; how many there were."""
        ...

    async def mark_sent(self, alert_id: int, now: datetime) -> None: ...
    async def mark_failed(self, alert_id: int, error: str, retry_at: datetime | None) -> None: ...
    async def counts(self) -> dict[str, int]: ...


class Doorbell(Protocol):
    """Wakes the alert relay early; the outbox table, not this, is the record."""

    async def ring(self) -> None: ...
