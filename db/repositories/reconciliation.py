"""SQL for reconciliation (core.services.reconciliation): the divergence log, each account's latest pass,
and what a pass reads (the account's stored deals of a window, the closes our acks settled)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.alerts.payload import from_json
from core.domain.codec import to_json
from core.domain.commands import CommandStatus, CommandType
from core.domain.reconciliation import Divergence, DivergenceKind, Evidence, SettledClose, Severity
from core.domain.snapshot import Deal, DealType
from core.services.ports.reconciliation import ReconciliationPass, Recorded, StoredDivergence
from db.repositories.deals import deal_from_row
from db.tables import AccountRow, CommandRow, DealRow, DivergenceRow, ExpectedTradeRow, ReconciliationPassRow

LOCK_SPACE = 10  # pg_advisory_xact_lock(LOCK_SPACE, account): one pass of an account at a time
TRADING = (DealType.BUY.value, DealType.SELL.value)
CLOSES = (CommandType.CLOSE_ALL.value, CommandType.CLOSE_POSITION.value)


def _evidence_json(evidence: Evidence) -> dict[str, Any]:
    encoded = to_json(evidence)
    assert isinstance(encoded, dict)
    return encoded


def _divergence(row: DivergenceRow) -> Divergence:
    evidence = from_json(Evidence, row.evidence)
    return Divergence(row.id, DivergenceKind(row.kind), row.account_id, row.signal_id, row.ticket, evidence)


def _pass(row: ReconciliationPassRow) -> ReconciliationPass:
    counts = row.open_count, row.critical_count
    return ReconciliationPass(row.account_id, row.reconciled_at, row.due_at, row.positions_digest, *counts)


class SqlReconciliationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock(self, account_id: int) -> None:
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :account)"),
            {"space": LOCK_SPACE, "account": account_id},
        )

    async def record(self, account_id: int, found: Sequence[Divergence], now: datetime) -> Recorded:
        by_id = {one.id: one for one in found}
        stored = {
            row.id: row
            for row in await self.session.scalars(
                select(DivergenceRow).where(
                    DivergenceRow.account_id == account_id,
                    or_(DivergenceRow.resolved_at.is_(None), DivergenceRow.id.in_(list(by_id))),
                )
            )
        }
        new = await self._insert([one for one in found if one.id not in stored], now)
        escalated: list[Divergence] = []
        changed = bool(new)
        for one in found:
            row = stored.get(one.id)
            if row is None:
                continue
            evidence = _evidence_json(one.evidence)
            severity = one.severity.value
            if row.resolved_at is None and row.evidence == evidence and row.severity == severity:
                continue
            if one.critical and row.severity != Severity.CRITICAL.value:
                escalated.append(one)
            await self._update(one.id, {"evidence": evidence, "severity": severity, "resolved_at": None}, now)
            changed = True
        gone = sorted(i for i, row in stored.items() if i not in by_id and row.resolved_at is None)
        if gone:
            await self.session.execute(
                update(DivergenceRow)
                .where(DivergenceRow.id.in_(gone))
                .values(resolved_at=now, last_seen_at=now)
                .execution_options(synchronize_session=False)
            )
        return Recorded(tuple(new), tuple(escalated), tuple(gone), changed or bool(gone))

    async def _insert(self, fresh: list[Divergence], now: datetime) -> list[Divergence]:
        if not fresh:
            return []
        rows = [
            {
                "id": one.id,
                "account_id": one.account_id,
                "kind": one.kind.value,
                "severity": one.severity.value,
                "signal_id": one.signal_id,
                "ticket": one.ticket,
                "evidence": _evidence_json(one.evidence),
                "first_seen_at": now,
                "last_seen_at": now,
            }
            for one in fresh
        ]
        statement = insert(DivergenceRow).values(rows).on_conflict_do_nothing().returning(DivergenceRow.id)
        inserted = set((await self.session.scalars(statement)).all())
        return [one for one in fresh if one.id in inserted]

    async def _update(self, divergence_id: str, values: dict[str, Any], now: datetime) -> None:
        await self.session.execute(
            update(DivergenceRow)
            .where(DivergenceRow.id == divergence_id)
            .values(**values, last_seen_at=now)
            .execution_options(synchronize_session=False)
        )

    async def open_divergences(self, account_id: int) -> list[StoredDivergence]:
        rows = await self.session.scalars(
            select(DivergenceRow)
            .where(DivergenceRow.account_id == account_id, DivergenceRow.resolved_at.is_(None))
            .order_by(DivergenceRow.first_seen_at, DivergenceRow.id)
        )
        return [StoredDivergence(_divergence(row), row.first_seen_at) for row in rows]

    async def save_pass(self, summary: ReconciliationPass) -> None:
        values = {
            "reconciled_at": summary.reconciled_at,
            "due_at": summary.due_at,
            "positions_digest": summary.positions_digest,
            "open_count": summary.open_count,
            "critical_count": summary.critical_count,
        }
        await self.session.execute(
            insert(ReconciliationPassRow)
            .values(account_id=summary.account_id, **values)
            .on_conflict_do_update(index_elements=[ReconciliationPassRow.account_id], set_=values)
        )

    async def last_pass(self, account_id: int) -> ReconciliationPass | None:
        row = await self.session.get(ReconciliationPassRow, account_id)
        return _pass(row) if row is not None else None

    async def candidates(self, now: datetime, limit: int) -> list[int]:
        passes = ReconciliationPassRow
        due = select(passes.account_id).where(passes.due_at <= now)
        queued_since = (
            select(ExpectedTradeRow.account_id)
            .outerjoin(passes, passes.account_id == ExpectedTradeRow.account_id)
            .where(or_(passes.account_id.is_(None), ExpectedTradeRow.queued_at > passes.reconciled_at))
        )
        union = due.union(queued_since).subquery()
        rows = await self.session.scalars(
            select(union.c.account_id).order_by(union.c.account_id).limit(limit)
        )
        return list(rows)

    async def digests(self) -> dict[int, str]:
        rows = await self.session.execute(
            select(AccountRow.id, func.coalesce(ReconciliationPassRow.positions_digest, "")).outerjoin(
                ReconciliationPassRow, ReconciliationPassRow.account_id == AccountRow.id
            )
        )
        return {account_id: digest for account_id, digest in rows}

    async def deals(self, account_id: int, since: datetime, positions: Iterable[int]) -> list[Deal]:
        tickets = sorted(set(positions))
        window = DealRow.time >= since
        rows = await self.session.scalars(
            select(DealRow)
            .where(
                DealRow.account_id == account_id,
                DealRow.type.in_(TRADING),
                or_(window, DealRow.position.in_(tickets)) if tickets else window,
            )
            .order_by(DealRow.time, DealRow.ticket)
        )
        return [deal_from_row(row) for row in rows]

    async def settled_closes(self, account_id: int) -> list[SettledClose]:
        rows = await self.session.execute(
            select(CommandRow.type, CommandRow.body, CommandRow.ack).where(
                CommandRow.account_id == account_id,
                CommandRow.type.in_(CLOSES),
                CommandRow.ack.is_not(None),
            )
        )
        closes: list[SettledClose] = []
        for kind, body, ack in rows:
            whole = kind == CommandType.CLOSE_ALL.value or body.get("volume") is None
            closes.extend(_settled(result, whole) for result in (ack or {}).get("results") or [])
        return [close for close in closes if close is not None]

    async def watched_since(self, account_id: int) -> datetime | None:
        linked: datetime | None = await self.session.scalar(
            select(AccountRow.linked_at).where(AccountRow.id == account_id)
        )
        return linked

    async def closing(self, account_id: int, now: datetime) -> bool:
        found = await self.session.scalar(
            select(CommandRow.id)
            .where(
                CommandRow.account_id == account_id,
                CommandRow.type.in_(CLOSES),
                CommandRow.status == CommandStatus.PENDING.value,
                CommandRow.expires_at > now,
            )
            .limit(1)
        )
        return found is not None


def _settled(result: Any, whole: bool) -> SettledClose | None:
    """One result of an ack; None for one that names no ticket or no positive volume (nothing closed)."""
    if not isinstance(result, dict) or not isinstance(result.get("ticket"), int):
        return None
    if whole:
        return SettledClose(result["ticket"])
    try:
        volume = Decimal(str(result.get("closed_volume")))
    except (InvalidOperation, ValueError):
        return None
    return SettledClose(result["ticket"], volume) if volume.is_finite() and volume > 0 else None
