"""Delivery bookkeeping for the outbox relay: claim what is due, record what happened.

Claims are per chat: a relay holds a chat while it sends the chat's alerts in order, and an alert that
failed holds the chat (the later ones wait) until it is delivered or given up."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from core.domain.models import PendingAlert
from core.services.ports import Clock, UnitOfWorkFactory

MAX_ATTEMPTS = 12
LEASE_SECONDS = 60
# A chat's alerts go one after another at about one a second: ten are sent well inside the lease.
PER_CHAT = 10


def backoff_seconds(attempts: int) -> int:
    """2, 4, 8 … seconds, capped at ten minutes."""
    return int(min(600, 2**attempts))


class AlertDelivery:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock

    async def claim(self, limit: int = 100) -> list[PendingAlert]:
        async with self.uow() as uow:
            claimed = await uow.outbox.claim_due(self.clock(), limit, LEASE_SECONDS, PER_CHAT)
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
        """The chat blocked the bot: everything still owed to it is dropped at once."""
        async with self.uow() as uow:
            await uow.users.mark_blocked(alert.chat_id, True)
            await uow.outbox.mark_failed(alert.id, error, None)
            await uow.outbox.drop_chat(alert.chat_id, error)
            await uow.commit()

    async def release(self, alerts: Sequence[PendingAlert]) -> None:
        """Claimed but not sent (an earlier alert of the chat failed): due again once that one is
        settled, and not counted as an attempt."""
        if not alerts:
            return
        async with self.uow() as uow:
            await uow.outbox.release([(alert.id, alert.attempts) for alert in alerts], self.clock())
            await uow.commit()

    async def undeliverable(self, alert: PendingAlert, error: str) -> None:
        async with self.uow() as uow:
            await uow.outbox.mark_failed(alert.id, error, None)
            await uow.commit()

    async def backlog(self) -> dict[str, int]:
        async with self.uow() as uow:
            return await uow.outbox.counts()
