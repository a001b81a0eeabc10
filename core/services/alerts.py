"""Delivery bookkeeping for the outbox relay: claim what is due, record what happened."""

from __future__ import annotations

from datetime import timedelta

from core.domain.models import PendingAlert
from core.services.ports import Clock, UnitOfWorkFactory

MAX_ATTEMPTS = 12
LEASE_SECONDS = 60


def backoff_seconds(attempts: int) -> int:
    """2, 4, 8 … seconds, capped at ten minutes."""
    return int(min(600, 2**attempts))


class AlertDelivery:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock

    async def claim(self, limit: int = 100) -> list[PendingAlert]:
        async with self.uow() as uow:
            claimed = await uow.outbox.claim_due(self.clock(), limit, LEASE_SECONDS)
            await uow.commit()
        return claimed

    async def delivered(self, alert: PendingAlert) -> None:
        async with self.uow() as uow:
            await uow.outbox.mark_sent(alert.id, self.clock())
            await uow.commit()

    async def retry_later(self, alert: PendingAlert, error: str, after_seconds: float | None = None) -> None:
        """Try again later: after Telegram's RetryAfter when given, else with exponential backoff."""
        delay = after_seconds if after_seconds is not None else backoff_seconds(alert.attempts)
        retry_at = None if alert.attempts >= MAX_ATTEMPTS else self.clock() + timedelta(seconds=delay)
        async with self.uow() as uow:
            await uow.outbox.mark_failed(alert.id, error, retry_at)
            await uow.commit()

    async def recipient_blocked(self, alert: PendingAlert, error: str) -> None:
        async with self.uow() as uow:
            await uow.users.mark_blocked(alert.chat_id, True)
            await uow.outbox.mark_failed(alert.id, error, None)
            await uow.commit()

    async def undeliverable(self, alert: PendingAlert, error: str) -> None:
        async with self.uow() as uow:
            await uow.outbox.mark_failed(alert.id, error, None)
            await uow.commit()

    async def backlog(self) -> dict[str, int]:
        async with self.uow() as uow:
            return await uow.outbox.counts()
