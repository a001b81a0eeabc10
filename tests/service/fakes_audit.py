"""In-memory AuditRepository for service tests: entries kept as written (`store.audit`, (at, entry) pairs),
chained on read with the real v2 hash, so `AuditChain` walks the fake as it walks Postgres. Unlike the SQL
repository the fake keeps writers' `user:<telegram id>` forms (it has no users.id to point at)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from core.domain.models import AuditEntry
from core.services.audit import GENESIS_HASH, VERSION, audit_hash_v2
from core.services.ports.audit import AuditRecord, ChainHead

PERSON = re.compile(r"(user|admin|tg):(\d{1,19})")
TELEGRAM_ID_KEYS = ("telegram_id", "chat_id", "referee", "referrer", "users")


def names(entry: AuditEntry, telegram_id: int) -> bool:
    for text in (entry.actor, entry.subject):
        if (found := PERSON.fullmatch(text)) and int(found.group(2)) == telegram_id:
            return True
    for key in TELEGRAM_ID_KEYS:
        value = entry.details.get(key)
        if telegram_id in (value if isinstance(value, list) else [value]):
            return True
    return False


def erased(entry: AuditEntry, telegram_id: int) -> AuditEntry:
    def ref(text: str) -> str:
        found = PERSON.fullmatch(text)
        return f"{found.group(1)}#erased" if found and int(found.group(2)) == telegram_id else text

    details = {key: value for key, value in entry.details.items() if key not in TELEGRAM_ID_KEYS}
    return replace(entry, actor=ref(entry.actor), subject=ref(entry.subject), details=details)


class FakeAudit:
    def __init__(self, store: Any) -> None:
        self.s = store

    async def append(self, entry: AuditEntry, now: datetime) -> None:
        self.s.audit.append((now, entry))

    async def append_many(self, entries: list[AuditEntry], now: datetime) -> None:
        self.s.audit.extend((now, entry) for entry in entries)

    async def erase_personal(self, telegram_id: int, now: datetime) -> int:
        hits = [n for n, (_, entry) in enumerate(self.s.audit) if names(entry, telegram_id)]
        for n in hits:
            at, entry = self.s.audit[n]
            self.s.audit[n] = (at, erased(entry, telegram_id))
        return len(hits)

    def records(self) -> list[AuditRecord]:
        chained, prev = [], GENESIS_HASH
        for n, (at, entry) in enumerate(self.s.audit, start=1):
            digest = audit_hash_v2(prev, at, entry, None)
            fields = (entry.actor, entry.action, entry.subject, dict(entry.details))
            chained.append(AuditRecord(n, at, *fields, prev, digest, VERSION, prev))
            prev = digest
        return chained

    async def walk(self, after_id: int, limit: int) -> list[AuditRecord]:
        return [record for record in self.records() if record.id > after_id][:limit]

    async def head(self) -> ChainHead | None:
        records = self.records()
        return ChainHead(records[-1].id, records[-1].hash, len(records)) if records else None

    async def about(
        self, refs: list[str], telegram_id: int | None, since: datetime, offset: int, limit: int
    ) -> tuple[list[AuditRecord], int]:
        def wanted(record: AuditRecord) -> bool:
            entry = AuditEntry(record.actor, record.action, record.subject, record.details)
            named = telegram_id is not None and names(entry, telegram_id)
            return record.at >= since and (record.actor in refs or record.subject in refs or named)

        found = [record for record in reversed(self.records()) if wanted(record)]
        return found[offset : offset + limit], len(found)
