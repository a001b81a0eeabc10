"""Alerts owed to chats, recorded with the change that caused them, and the relay's doorbell."""

from __future__ import annotations

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

    async def claim_due(self, now: datetime, limit: int, lease_seconds: int) -> list[PendingAlert]: ...
    async def mark_sent(self, alert_id: int, now: datetime) -> None: ...
    async def mark_failed(self, alert_id: int, error: str, retry_at: datetime | None) -> None: ...
    async def counts(self) -> dict[str, int]: ...


class Doorbell(Protocol):
    """Wakes the alert relay early; the outbox table, not this, is the record."""

    async def ring(self) -> None: ...
