"""The audit log: an append-only hash chain over every row (core/services/audit.py says how it is hashed
and verified), with personal values kept apart in `personal`, the one thing that may be erased."""

from __future__ import annotations

import json
import re
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.models import AuditEntry
from core.services.audit import GENESIS_HASH, VERSION, audit_hash, audit_hash_v2, personal_digest
from core.services.ports.audit import AuditRecord, ChainHead
from db.tables import AuditRow, UserRow

__all__ = ["GENESIS_HASH", "SqlAuditRepository", "audit_hash", "pseudonymise"]

ADD_AUDIT = insert(AuditRow)
CHAIN_LOCK = (7301, 0)  # one writer extends the chain at a time (held until its transaction ends)
# `user:<telegram id>`, `admin:<telegram id>`, `tg:<telegram id>`: how writers name a person
PERSON = re.compile(r"(user|admin|tg):(\d{1,19})")
# details keys whose values are Telegram ids (an int or a list of them), and the other personal keys
TELEGRAM_ID_KEYS = frozenset({"telegram_id", "chat_id", "referee", "referrer", "users"})
PERSONAL_KEYS = TELEGRAM_ID_KEYS | {
    "name", "first_name", "last_name", "username", "email", "fingerprint", "payer_fingerprint",
}  # fmt: skip


def pseudonymise(entry: AuditEntry, users: dict[int, int]) -> tuple[AuditEntry, dict[str, Any] | None]:
    """The entry as stored (no personal values) and its `personal` ({"salt", "values"}), or None.

    `kind:<telegram id>` becomes `kind#<users.id>` for a known user, else `p:<n>` (the n-th Telegram id
    of `personal.values.telegram_ids`); personal keys of `details` move to `personal.values.details`."""
    ids: list[int] = []
    values: dict[str, Any] = {}

    def named(telegram_id: int) -> int:
        if telegram_id not in ids:
            ids.append(telegram_id)
        return ids.index(telegram_id) + 1

    def ref(text: str, field: str) -> str:
        if (found := PERSON.fullmatch(text)) is None:
            return text
        values[field] = text
        telegram_id = int(found.group(2))
        n = named(telegram_id)
        return f"{found.group(1)}#{users[telegram_id]}" if telegram_id in users else f"p:{n}"

    actor, subject = ref(entry.actor, "actor"), ref(entry.subject, "subject")
    details = json.loads(json.dumps(entry.details, default=str))
    moved = {key: details.pop(key) for key in sorted(PERSONAL_KEYS & details.keys())}
    for key in TELEGRAM_ID_KEYS & moved.keys():
        for value in moved[key] if isinstance(moved[key], list) else [moved[key]]:
            if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
                named(int(value))
    if moved:
        values["details"] = moved
    if not values:
        return AuditEntry(actor, entry.action, subject, details), None
    values["telegram_ids"] = ids
    return AuditEntry(actor, entry.action, subject, details), {
        "salt": secrets.token_hex(16),
        "values": values,
    }


def telegram_ids_in(entries: list[AuditEntry]) -> set[int]:
    return {
        int(m.group(2)) for e in entries for text in (e.actor, e.subject) if (m := PERSON.fullmatch(text))
    }


def _record(row: AuditRow) -> AuditRecord:
    return AuditRecord(
        row.id, row.at, row.actor, row.action, row.subject, row.details, row.prev_hash, row.hash,
        row.version, row.chain_prev, row.personal, row.personal_digest,
    )  # fmt: skip


class SqlAuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def append(self, entry: AuditEntry, now: datetime) -> None:
        await self.append_many([entry], now)

    async def append_many(self, entries: list[AuditEntry], now: datetime) -> None:
        """Version 2 rows, each hashing the row before it by id, under one lock for every writer."""
        if not entries:
            return
        wanted = telegram_ids_in(entries)
        found = await self.session.execute(
            select(UserRow.telegram_id, UserRow.id).where(UserRow.telegram_id.in_(wanted))
        )
        users = {telegram_id: user_id for telegram_id, user_id in found.all()}
        await self.session.execute(select(func.pg_advisory_xact_lock(*CHAIN_LOCK)))
        prev = await self.session.scalar(select(AuditRow.hash).order_by(AuditRow.id.desc()).limit(1))
        chain_prev = prev or GENESIS_HASH
        for entry in entries:  # one row at a time: each row's id must follow its predecessor's
            stored, personal = pseudonymise(entry, users)
            digest = None if personal is None else personal_digest(personal)
            hashed = audit_hash_v2(chain_prev, now, stored, digest)
            row = {
                "at": now, "actor": stored.actor, "action": stored.action, "subject": stored.subject,
                "details": stored.details, "prev_hash": chain_prev, "hash": hashed, "chain_prev": chain_prev,
                "version": VERSION, "personal": personal, "personal_digest": digest,
            }  # fmt: skip
            await self.session.execute(ADD_AUDIT, [row])
            chain_prev = hashed

    async def erase_personal(self, telegram_id: int, now: datetime) -> int:
        """`personal` → NULL on every row naming `telegram_id` (the digest stays: the chain still verifies);
        the count of rows erased. Appends nothing (the caller audits the erasure, pseudonymously)."""
        named = AuditRow.personal["values"]["telegram_ids"].contains([telegram_id])
        result = await self.session.execute(
            update(AuditRow).where(AuditRow.personal.is_not(None), named).values(personal=None)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def walk(self, after_id: int, limit: int) -> list[AuditRecord]:
        query = select(AuditRow).where(AuditRow.id > after_id).order_by(AuditRow.id).limit(limit)
        rows = await self.session.execute(query)
        return [_record(row) for row in rows.scalars()]

    async def head(self) -> ChainHead | None:
        last = (
            await self.session.execute(
                select(AuditRow.id, AuditRow.hash).order_by(AuditRow.id.desc()).limit(1)
            )
        ).first()
        if last is None:
            return None
        count = await self.session.scalar(select(func.count()).select_from(AuditRow))
        return ChainHead(last.id, last.hash, int(count or 0))

    async def about(
        self, refs: list[str], telegram_id: int | None, since: datetime, offset: int, limit: int
    ) -> tuple[list[AuditRecord], int]:
        """Rows whose subject or actor is one of `refs` (or whose personal values name `telegram_id`) since
        `since`, newest first, and how many there are."""
        matches: list[ColumnElement[bool]] = [AuditRow.subject.in_(refs), AuditRow.actor.in_(refs)]
        if telegram_id is not None:
            matches.append(AuditRow.personal["values"]["telegram_ids"].contains([telegram_id]))
        where = (or_(*matches), AuditRow.at >= since)
        total = await self.session.scalar(select(func.count()).select_from(AuditRow).where(*where))
        query = select(AuditRow).where(*where).order_by(AuditRow.id.desc()).offset(offset).limit(limit)
        rows = await self.session.execute(query)
        return [_record(row) for row in rows.scalars()], int(total or 0)
