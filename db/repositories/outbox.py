"""The outbox: alerts owed to chats, committed with the change that caused them, claimed and leased by
the relay (core.services.alerts)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.alerts import AlertBody, StoredAlert, UndecodableAlert, encode_alert, read_stored
from core.domain.models import Alert, PendingAlert
from db.tables import OutboxRow, UserRow

OUTBOX = OutboxRow.__table__
ADD_ALERT = insert(OUTBOX).on_conflict_do_nothing(index_elements=[OUTBOX.c.dedupe_key]).returning(OUTBOX.c.id)
# A new alert is due at once, whatever the clocks of the database and of the relay say.
DUE_AT_ONCE = datetime(2000, 1, 1, tzinfo=UTC)


class SqlOutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, alert: Alert) -> bool:
        stored = encode_alert(alert.body)
        params = {
            "dedupe_key": alert.dedupe_key,
            "chat_id": alert.chat_id,
            "kind": stored.kind,
            "version": stored.version,
            "params": stored.payload,
            "next_attempt_at": DUE_AT_ONCE,
            "status": "pending",
            "attempts": 0,
        }
        return (await self.session.scalar(ADD_ALERT, params)) is not None

    async def add_to_digest(self, alert: Alert, deliver_at: datetime) -> bool:
        """Append the digest's `items` to the pending digest with this key (or start it); False when
        that digest is already being sent or was sent, or has another payload version (nothing is
        added: the caller picks another)."""
        stored = encode_alert(alert.body)
        appended = await self.session.scalar(
            text(
                "INSERT INTO outbox (dedupe_key, chat_id, kind, version, params, status, attempts,"
                " next_attempt_at) VALUES (:key, :chat, :kind, :version, CAST(:params AS jsonb), 'pending',"
                " 0, :at) ON CONFLICT (dedupe_key) DO UPDATE"
                " SET params = jsonb_set(outbox.params, '{items}',"
                " (outbox.params -> 'items') || (excluded.params -> 'items'))"
                " WHERE outbox.status = 'pending' AND outbox.version = excluded.version RETURNING id"
            ),
            {
                "key": alert.dedupe_key,
                "chat": alert.chat_id,
                "kind": stored.kind,
                "version": stored.version,
                "params": json.dumps(stored.payload),
                "at": deliver_at,
            },
        )
        return appended is not None

    async def claim_due(self, now: datetime, limit: int, lease_seconds: int) -> list[PendingAlert]:
        """Lease due rows (status `sending` until the lease ends): a relay that dies mid-send leaves them
        to be claimed again after the lease, and a digest being sent takes no more items."""
        due = (
            select(OutboxRow.id)
            .where(OutboxRow.status.in_(("pending", "sending")), OutboxRow.next_attempt_at <= now)
            .order_by(OutboxRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list((await self.session.scalars(due)).all())
        if not ids:
            return []
        lease_until = now + timedelta(seconds=lease_seconds)
        await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(ids))
            .values(status="sending", next_attempt_at=lease_until, attempts=OutboxRow.attempts + 1)
        )
        statement = (
            select(OutboxRow, UserRow.language)
            .outerjoin(UserRow, UserRow.telegram_id == OutboxRow.chat_id)
            .where(OutboxRow.id.in_(ids))
            .order_by(OutboxRow.id)
        )
        return [
            PendingAlert(row.id, row.chat_id, _read_alert(row), language or "en", row.attempts)
            for row, language in (await self.session.execute(statement)).all()
        ]

    async def mark_sent(self, alert_id: int, now: datetime) -> None:
        await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == alert_id)
            .values(status="sent", sent_at=now, last_error=None)
        )

    async def mark_failed(self, alert_id: int, error: str, retry_at: datetime | None) -> None:
        values: dict[str, Any] = {"last_error": error[:500]}
        if retry_at is None:
            values["status"] = "undeliverable"
        else:
            values |= {"status": "pending", "next_attempt_at": retry_at}
        await self.session.execute(update(OutboxRow).where(OutboxRow.id == alert_id).values(**values))

    async def counts(self) -> dict[str, int]:
        rows = await self.session.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status))
        return {status: int(count) for status, count in rows.all()}


def _read_alert(row: OutboxRow) -> AlertBody | UndecodableAlert:
    """A row no alert type reads comes back as such: the relay marks it undeliverable, the rest go."""
    return read_stored(StoredAlert(row.kind, row.version, row.params))
