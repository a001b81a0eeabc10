"""The audit log: an append-only hash chain per subject (an account, a user)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.models import AuditEntry
from db.tables import AuditRow

ADD_AUDIT = insert(AuditRow.__table__)
GENESIS_HASH = "0" * 64


def audit_hash(prev_hash: str, at: datetime, entry: AuditEntry) -> str:
    """The chain's hash input, frozen: `isoformat()` (not the codec) because every stored row was hashed
    with it, and a verifier must recompute exactly what was written."""
    body = json.dumps(
        [prev_hash, at.isoformat(), entry.actor, entry.action, entry.subject, entry.details],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


class SqlAuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def append(self, entry: AuditEntry, now: datetime) -> None:
        await self.append_many([entry], now)

    async def append_many(self, entries: list[AuditEntry], now: datetime) -> None:
        """Each subject (an account, a user) has its own hash chain: one writer per subject extends it
        (the lock is held until this transaction ends), and unrelated subjects never wait on each other."""
        rows: list[dict[str, Any]] = []
        for subject in dict.fromkeys(entry.subject for entry in entries):
            prev_hash = await self._chain_end(subject)
            for entry in (e for e in entries if e.subject == subject):
                details = json.loads(json.dumps(entry.details, default=str))
                stored = AuditEntry(entry.actor, entry.action, entry.subject, details)
                digest = audit_hash(prev_hash, now, stored)
                rows.append(
                    {"at": now, "actor": entry.actor, "action": entry.action, "subject": subject,
                     "details": details, "prev_hash": prev_hash, "hash": digest}
                )  # fmt: skip
                prev_hash = digest
        if rows:
            await self.session.execute(ADD_AUDIT, rows)

    async def erase_personal(self, telegram_id: int, now: datetime) -> int:
        # i13-audit implements this
        return 0

    async def _chain_end(self, subject: str) -> str:
        await self.session.execute(select(func.pg_advisory_xact_lock(7301, func.hashtext(subject))))
        prev = await self.session.scalar(
            select(AuditRow.hash).where(AuditRow.subject == subject).order_by(AuditRow.id.desc()).limit(1)
        )
        return prev or GENESIS_HASH
