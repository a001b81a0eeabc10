"""The audit log's one chain: how a row is hashed, how the whole log is verified from its first row, and
the use cases over it (`tradeguard audit verify`, the worker's check, /ready's head).

Version 1 rows (written before migration 0016, or by a previous release while it still ran) hash the
previous row of their subject; version 2 rows hash the previous row by id (`chain_prev`) and the digest
of their personal values, so a changed, removed or inserted row anywhere breaks the walk, and erasing
personal values (which keeps the digest) does not."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.domain.account_key import BadAccountKey, parse_account_key, parse_id
from core.domain.alerts import AuditAnchor
from core.domain.models import Alert, AuditEntry, User
from core.services.errors import InvalidInput, NotFound
from core.services.ports import UnitOfWork, UnitOfWorkFactory
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

    async def anchor(self, admin_chat_ids: Collection[int], now: datetime) -> int:
        """The head the last check verified to every admin, once per UTC day (the dedupe key names the day):
        how many were queued (0 on a repeat the same day, before a check, after a failed one, or while the
        log is empty: a broken chain is not anchored, `tradeguard_audit_chain_ok` says it is broken)."""
        if self.last is None or not self.last.ok or self.last.head is None:
            return 0
        head, day = self.last.head, now.astimezone(UTC).date().isoformat()
        alert = AuditAnchor(head_id=head.id, head_hash=head.hash, entries=head.count, at=now)
        async with self.uow() as uow:
            added = [
                await uow.outbox.add(Alert(f"audit:anchor:{day}:{chat}", chat, alert))
                for chat in admin_chat_ids
            ]
            await uow.commit()
        return sum(added)

    async def check_and_anchor(self, admin_chat_ids: Collection[int], clock: Callable[[], datetime]) -> int:
        """The worker's hourly pass: the whole chain verified, then its head anchored (once a UTC day)."""
        await self.check()
        return await self.anchor(admin_chat_ids, clock())


# --- /audit: the entries about one account or user, newest first --------------------------------------

PAGE_SIZE = 10
DAYS_DEFAULT, DAYS_MIN, DAYS_MAX = 30, 1, 365
USERNAME = re.compile(r"@([A-Za-z][A-Za-z0-9_]{3,31})", re.ASCII)
TARGET_KINDS = {"a": "account", "u": "user", "e": "either"}  # `token`'s first letter


@dataclass(frozen=True)
class AuditTarget:
    """What /audit names: an account (`login@server`: entries name the login only), a user (@username, or
    resolved to their Telegram id) or a bare number (the account with that login and the user with that
    Telegram id: both are shown)."""

    kind: str  # "account", "user", "either"
    value: int  # the login or the Telegram id
    server: str | None = None
    username: str | None = None

    @property
    def token(self) -> str:
        """Short, for callback data (the server and username are not needed to query again)."""
        return f"{self.kind[0]}{self.value}"

    def __str__(self) -> str:
        if self.username is not None:
            return f"@{self.username}"
        return f"{self.value}@{self.server}" if self.server else str(self.value)


def parse_audit_target(text: str) -> AuditTarget | str:
    """An AuditTarget, or the @username still to resolve. Raises InvalidInput."""
    if (named := USERNAME.fullmatch(text)) is not None:
        return named.group(1)
    try:
        key = parse_account_key(text)
    except BadAccountKey:
        raise InvalidInput("target: login, login@server, Telegram id or @username") from None
    return AuditTarget("account" if key.server else "either", key.login, key.server)


def parse_target_token(token: str) -> AuditTarget | None:
    kind, number = TARGET_KINDS.get(token[:1]), parse_id(token[1:])
    return None if kind is None or number is None else AuditTarget(kind, number)


def parse_audit_days(text: str | None) -> int:
    if text is None:
        return DAYS_DEFAULT
    days = parse_id(text)
    if days is None or not DAYS_MIN <= days <= DAYS_MAX:
        raise InvalidInput(f"days: a whole number from {DAYS_MIN} to {DAYS_MAX}")
    return days


@dataclass(frozen=True)
class AuditPage:
    target: AuditTarget
    days: int
    page: int  # from 0
    pages: int
    total: int
    entries: tuple[AuditRecord, ...]


class AuditLog:
    """`/audit`: admins only, checked here (anyone else refused, and that refusal audited)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        require_admin: Callable[[User, str], Awaitable[None]],
        clock: Callable[[], datetime],
    ) -> None:
        self.uow, self.require_admin, self.clock = uow, require_admin, clock

    async def page(self, actor: User, target: AuditTarget | str, days: int, page: int = 0) -> AuditPage:
        """Page `page` (clamped to the last) of the entries about `target` in the last `days` days."""
        await self.require_admin(actor, "audit")
        if not DAYS_MIN <= days <= DAYS_MAX or page < 0:
            raise InvalidInput(f"days: a whole number from {DAYS_MIN} to {DAYS_MAX}")
        since = self.clock() - timedelta(days=days)
        async with self.uow() as uow:
            target, refs, telegram_id = await _references(uow, target)
            rows, total = await uow.audit.about(refs, telegram_id, since, page * PAGE_SIZE, PAGE_SIZE)
            pages = max(1, -(-total // PAGE_SIZE))
            if page >= pages:  # fewer entries than when the button was drawn: the last page
                page = pages - 1
                rows, total = await uow.audit.about(refs, telegram_id, since, page * PAGE_SIZE, PAGE_SIZE)
        return AuditPage(target, days, page, pages, total, tuple(rows))


async def _references(
    uow: UnitOfWork, target: AuditTarget | str
) -> tuple[AuditTarget, list[str], int | None]:
    """How rows name the target: `account:<login>`, a user's `kind#<users.id>` (version 2) and
    `kind:<telegram id>` (version 1), and the Telegram id their personal values hold (`p:<n>` rows)."""
    if isinstance(target, str):
        user = await uow.history.user_named(target)
        if user is None:
            raise NotFound(f"@{target}")
        target = AuditTarget("user", user.telegram_id, username=target)
    refs = [] if target.kind == "user" else [f"account:{target.value}"]
    if target.kind == "account":
        return target, refs, None
    user = await uow.users.by_telegram_id(target.value)
    if user is None and target.kind == "user":
        raise NotFound(str(target))
    refs += [f"{kind}:{target.value}" for kind in ("user", "admin", "tg")]
    if user is not None:
        refs += [f"{kind}#{user.id}" for kind in ("user", "admin", "tg")]
    return target, refs, target.value
