"""The audit log's one chain: how a row is hashed, how the whole log is verified from its first row, and
the use cases over it (`tradeguard audit verify`, the worker's check, /ready's head).

Version 1 rows (written before migration 0016, or by a previous release while it still ran) hash the
previous row of their subject; version 2 rows hash the previous row by id (`chain_prev`) and the digest
of their personal values, so a changed, removed or inserted row anywhere breaks the walk, and erasing
personal values (which keeps the digest) does not."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.domain.models import AuditEntry
from core.services.ports import UnitOfWorkFactory
from core.services.ports.audit import AuditRecord, ChainHead

GENESIS_HASH = "0" * 64
VERSION = 2
WALK_BATCH = 1000


def audit_hash(prev_hash: str, at: datetime, entry: AuditEntry) -> str:
    """Version 1, frozen: `isoformat()` (not the codec) because every stored row was hashed with it, and a
    verifier must recompute exactly what was written."""
    body = json.dumps(
        [prev_hash, at.isoformat(), entry.actor, entry.action, entry.subject, entry.details],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def audit_hash_v2(chain_prev: str, at: datetime, entry: AuditEntry, personal_digest: str | None) -> str:
    body = json.dumps(
        [VERSION, chain_prev, at.isoformat(), entry.actor, entry.action, entry.subject, entry.details,
         personal_digest],
        sort_keys=True,
        default=str,
    )  # fmt: skip
    return hashlib.sha256(body.encode()).hexdigest()


def personal_digest(personal: dict[str, Any]) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces): what survives erasure in the hash."""
    canonical = json.dumps(personal, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    count: int
    head: ChainHead | None
    broken_at: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


class ChainWalk:
    """Fed every row in id order; `problem` names the first break (and `broken_at` its row)."""

    def __init__(self) -> None:
        self.count = 0
        self.last: AuditRecord | None = None
        self.before_last: AuditRecord | None = None
        self.subject_end: dict[str, str] = {}  # the version 1 chains: each subject's last hash
        self.broken_at: int | None = None
        self.problem = ""

    def feed(self, row: AuditRecord) -> bool:
        """False once broken (the walk stops at the first break)."""
        problem, at = self._check(row)
        if problem:
            self.broken_at, self.problem = at, problem
            return False
        self.count += 1
        self.before_last, self.last = self.last, row
        self.subject_end[row.subject] = row.hash
        return True

    def _check(self, row: AuditRecord) -> tuple[str, int]:
        entry = AuditEntry(row.actor, row.action, row.subject, row.details)
        if row.version == 1:
            expected = self.subject_end.get(row.subject, GENESIS_HASH)
            if row.hash != audit_hash(row.prev_hash, row.at, entry):
                return "changed: its hash does not recompute", row.id
            if row.prev_hash != expected:
                return f"a row of {row.subject} before it was removed or inserted (prev_hash)", row.id
            return "", row.id
        if row.version != VERSION:
            return f"unknown version {row.version}", row.id
        if row.personal is not None and row.personal_digest != personal_digest(row.personal):
            return "changed: its personal values do not match their digest", row.id
        if row.hash != audit_hash_v2(row.chain_prev or "", row.at, entry, row.personal_digest):
            return "changed: its hash does not recompute", row.id
        expected = self.last.hash if self.last is not None else GENESIS_HASH
        if row.chain_prev != expected:
            if self.last is not None and row.chain_prev == (
                self.before_last.hash if self.before_last is not None else GENESIS_HASH
            ):
                return f"inserted: row {row.id} names the row before it as its predecessor", self.last.id
            return "a row before it was removed (chain_prev names a hash not in the log)", row.id
        return "", row.id

    def report(self) -> ChainReport:
        head = None if self.last is None else ChainHead(self.last.id, self.last.hash, self.count)
        return ChainReport(self.count, head, self.broken_at, self.problem)


class AuditChain:
    """`verify` walks the whole log; `check` is the worker's: it also notices the log shrinking behind a
    head it saw (the last rows removed), and keeps the result for /metrics."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self.uow = uow
        self.last: ChainReport | None = None

    async def verify(self, anchor: tuple[int, str] | None = None) -> ChainReport:
        walk, after = ChainWalk(), 0
        anchored = anchor is None
        while walk.broken_at is None:
            async with self.uow() as uow:
                rows = await uow.audit.walk(after, WALK_BATCH)
            for row in rows:
                if not walk.feed(row):
                    break
                if anchor is not None and row.id == anchor[0]:
                    if row.hash != anchor[1]:
                        walk.broken_at, walk.problem = row.id, "changed: its hash is not the anchor's"
                        break
                    anchored = True
            if len(rows) < WALK_BATCH:
                break
            after = rows[-1].id
        report = walk.report()
        if report.ok and not anchored and anchor is not None:
            problem = "removed: the anchor's row is not in the log (rows removed from its end)"
            report = ChainReport(report.count, report.head, anchor[0], problem)
        return report

    async def check(self) -> ChainReport:
        seen = self.last.head if self.last is not None and self.last.ok else None
        report = await self.verify((seen.id, seen.hash) if seen is not None else None)
        self.last = report
        return report

    async def head(self) -> ChainHead | None:
        async with self.uow() as uow:
            return await uow.audit.head()
