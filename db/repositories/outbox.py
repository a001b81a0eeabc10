"""The outbox: alerts owed to chats, committed with the change that caused them, claimed and leased by
the relay (core.services.alerts)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.alerts import AlertBody, StoredAlert, UndecodableAlert, encode_alert, read_stored
from core.domain.models import Alert, PendingAlert
from db.tables import OutboxRow, UserRow

OUTBOX = OutboxRow.__table__
ADD_ALERT = insert(OUTBOX).on_conflict_do_nothing(index_elements=[OUTBOX.c.dedupe_key]).returning(OUTBOX.c.id)
# A new alert is due at once, whatever the clocks of the database and of the relay say.
DUE_AT_ONCE = datetime(2000, 1, 1, tzinfo=UTC)
OPEN = ("pending", "sending")
CHAT_LOCKS = 7302  # advisory lock namespace (two-key form): a relay claiming one chat's rows

# The chats that have a due row and nothing that holds them (a leased row, a row waiting for its
# retry), oldest due row first; each is locked for this transaction, or skipped if another relay's
# claim holds it. The lock only orders two claims of one chat: the second, once it gets the lock,
# reads in a new statement what the first leased, and finds the chat held.
LOCK_READY_CHATS = text(
    "SELECT chat_id FROM ("
    " SELECT chat_id, min(id) FILTER (WHERE next_attempt_at <= :now) AS first_due FROM outbox"
    " WHERE status IN ('pending', 'sending') GROUP BY chat_id"
    " HAVING bool_or(next_attempt_at <= :now) AND NOT bool_or(attempts > 0 AND next_attempt_at > :now)"
    " ORDER BY first_due"
    f") AS ready WHERE pg_try_advisory_xact_lock({CHAT_LOCKS}, hashtext(chat_id::text)) LIMIT :chats"
)
# Under the chat locks, in a fresh snapshot: the first `per_chat` due rows of each chat still free.
# The UPDATE checks each row again, so a row marked sent meanwhile stays sent.
LEASE_CHAT_ROWS = text(
    "WITH open_rows AS ("
    " SELECT id, chat_id, attempts, next_attempt_at FROM outbox"
    " WHERE chat_id = ANY(:chats) AND status IN ('pending', 'sending')),"
    " free_chats AS (SELECT chat_id FROM open_rows GROUP BY chat_id"
    " HAVING NOT bool_or(attempts > 0 AND next_attempt_at > :now)),"
    " picked AS (SELECT id FROM ("
    " SELECT id, row_number() OVER (PARTITION BY chat_id ORDER BY id) AS place FROM open_rows"
    " WHERE chat_id IN (SELECT chat_id FROM free_chats) AND next_attempt_at <= :now) AS ranked"
    " WHERE place <= :per_chat ORDER BY place, id LIMIT :limit)"
    " UPDATE outbox SET status = 'sending', next_attempt_at = :lease_until, attempts = outbox.attempts + 1"
    " WHERE id IN (SELECT id FROM picked) AND status IN ('pending', 'sending') AND next_attempt_at <= :now"
    " RETURNING id"
).bindparams(bindparam("chats", type_=ARRAY(BigInteger)))
RELEASE = text(
    "UPDATE outbox SET status = 'pending', attempts = attempts - 1, next_attempt_at = :now"
    " WHERE id = :id AND attempts = :attempts AND status = 'sending'"
)


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

    async def claim_due(
        self, now: datetime, limit: int, lease_seconds: int, per_chat: int
    ) -> list[PendingAlert]:
        """Lease the due rows of chats no other relay holds (status `sending` until the lease ends), at
        most `per_chat` of each chat, first ones first: one relay at a time sends a chat's alerts, in id
        order. A chat is held while any of its rows is leased or waits for a retry (it blocks the rows
        after it); a row due later that was never tried (a digest's window) holds nothing. After a crash
        the lease ends and the rows are claimed again, by whichever relay comes first."""
        chats = list((await self.session.scalars(LOCK_READY_CHATS, {"now": now, "chats": limit})).all())
        if not chats:
            return []
        lease = {"now": now, "chats": chats, "per_chat": per_chat, "limit": limit}
        leased = await self.session.scalars(
            LEASE_CHAT_ROWS, lease | {"lease_until": now + timedelta(seconds=lease_seconds)}
        )
        ids = list(leased.all())
        if not ids:
            return []
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

    async def release(self, alerts: Sequence[tuple[int, int]], now: datetime) -> None:
        """Give back leased rows that were not sent, as they were before the claim (the attempt does not
        count), due at once; the rows of (id, attempts) another relay has claimed since are left alone."""
        if alerts:
            await self.session.execute(RELEASE, [{"id": i, "attempts": a, "now": now} for i, a in alerts])

    async def drop_chat(self, chat_id: int, error: str) -> int:
        """Every alert still owed to this chat becomes undeliverable (it blocked the bot)."""
        dropped = await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.chat_id == chat_id, OutboxRow.status.in_(OPEN))
            .values(status="undeliverable", last_error=error[:500])
        )
        return int(getattr(dropped, "rowcount", 0))

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
