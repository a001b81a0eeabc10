"""SQL for the commission ledger (issue 11, docs/affiliates.md): the ledger pass's reads and writes, and
the fraud room's `reverse_unpaid`. Payouts' SQL is in `ledger_payouts.py`."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, literal, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.domain.affiliates import CommissionLine, LineKind, Payment, PaymentSource, PaymentType
from core.domain.affiliates.commission import NewLine, line_audit
from core.domain.alerts.affiliates import commission_alert
from core.domain.codec import to_json
from core.domain.models import Alert
from core.services.ports.ledger import RebateSource, ReferralOf
from db.repositories.audit import SqlAuditRepository
from db.repositories.deals import deal_from_row
from db.repositories.ledger_payouts import SqlPayouts
from db.repositories.outbox import SqlOutboxRepository
from db.tables import AccountRow, DealRow, UserRow
from db.tables_affiliates import CommissionLineRow, PaymentRow, ReferralRow

LINES = CommissionLineRow.__table__
ENTRY_LOOKBACK = timedelta(days=7)  # how far before a day a rebate looks for the entries of its exits
REFEREE_LOCK = 7312  # advisory lock namespace (two-key form): one ledger pass per referee at a time
GIVE_BACK = "payout-failed:%"  # a failed payout's amount owed again (core.services.payouts)
# The fraud room's table (migration 0015): positions its scans named as wash volume.
WITHHELD = text("SELECT account_id, position_id FROM withheld_positions WHERE account_id = ANY(:ids)")


def payment_from_row(row: PaymentRow) -> Payment:
    return Payment(
        row.id, PaymentSource(row.source), row.external_id, row.telegram_id, row.user_id,
        PaymentType(row.type), row.amount, row.currency, row.period_start, row.period_end, row.received_at,
        row.plan, row.payer_fingerprint, row.email,
    )  # fmt: skip


def line_from_row(row: CommissionLineRow) -> CommissionLine:
    return CommissionLine(
        row.id, row.affiliate_user_id, LineKind(row.kind), row.amount, row.currency, row.rule_version,
        row.earned_at, row.payable_at, row.dedupe_key, row.referee_user_id, row.payment_id,
        row.reverses_line_id, row.payout_id, dict(row.details),
    )  # fmt: skip


def _line_values(line: NewLine) -> dict[str, Any]:
    details = to_json(line.details)
    return {
        "dedupe_key": line.dedupe_key, "affiliate_user_id": line.affiliate_user_id,
        "referee_user_id": line.referee_user_id, "payment_id": line.payment_id,
        "reverses_line_id": line.reverses_line_id, "kind": line.kind.value, "amount": line.amount,
        "currency": line.currency, "rule_version": line.rule_version, "details": details,
        "earned_at": line.earned_at, "payable_at": line.payable_at,
    }  # fmt: skip


class SqlLedgerRepository(SqlPayouts):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim_unledgered(self, limit: int) -> list[Payment]:
        statement = (
            select(PaymentRow)
            .where(PaymentRow.ledgered_at.is_(None))
            .order_by(PaymentRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [payment_from_row(row) for row in (await self.session.scalars(statement)).all()]

    async def referral_of(self, payment: Payment) -> ReferralOf | None:
        by_telegram = select(UserRow.id).where(UserRow.telegram_id == payment.telegram_id)
        payer = ReferralRow.referee_user_id
        found = payer == payment.user_id if payment.user_id is not None else payer.in_(by_telegram)
        row = (await self.session.execute(select(payer, ReferralRow.referrer_user_id).where(found))).first()
        return ReferralOf(row[0], row[1]) if row is not None else None

    async def lock_referees(self, referee_user_ids: Collection[int]) -> None:
        # one order for every pass (by the lock's key), so two passes locking several never deadlock
        for key in sorted({user_id % 2**31 for user_id in referee_user_ids}):
            await self.session.execute(select(func.pg_advisory_xact_lock(REFEREE_LOCK, key)))

    async def payments_of(self, referee_user_id: int, telegram_id: int) -> list[Payment]:
        mine = or_(PaymentRow.user_id == referee_user_id, PaymentRow.telegram_id == telegram_id)
        rows = await self.session.scalars(select(PaymentRow).where(mine).order_by(PaymentRow.id))
        return [payment_from_row(row) for row in rows.all()]

    async def lines_of_referee(self, referee_user_id: int) -> list[CommissionLine]:
        statement = (
            select(CommissionLineRow)
            .where(CommissionLineRow.referee_user_id == referee_user_id)
            .order_by(CommissionLineRow.id)
        )
        return [line_from_row(row) for row in (await self.session.scalars(statement)).all()]

    async def add_lines(self, lines: Sequence[NewLine]) -> list[CommissionLine]:
        if not lines:
            return []
        statement = (
            pg_insert(CommissionLineRow)
            .values([_line_values(line) for line in lines])
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(CommissionLineRow)
        )
        rows = (await self.session.scalars(statement)).all()
        return sorted((line_from_row(row) for row in rows), key=lambda line: line.id)

    async def mark_ledgered(self, payment_ids: Collection[int], now: datetime) -> None:
        if payment_ids:
            done = update(PaymentRow).where(PaymentRow.id.in_(payment_ids)).values(ledgered_at=now)
            await self.session.execute(done)

    async def chat_ids(self, user_ids: Collection[int]) -> dict[int, int]:
        rows = await self.session.execute(
            select(UserRow.id, UserRow.telegram_id).where(UserRow.id.in_(user_ids))
        )
        return {user_id: telegram_id for user_id, telegram_id in rows.all()}

    async def rebate_sources(self, since: datetime, until: datetime) -> list[RebateSource]:
        statement = (
            select(ReferralRow.referee_user_id, ReferralRow.referrer_user_id, DealRow)
            .join(AccountRow, AccountRow.user_id == ReferralRow.referee_user_id)
            .join(DealRow, DealRow.account_id == AccountRow.id)
            .where(DealRow.time >= since - ENTRY_LOOKBACK, DealRow.time < until)
            .order_by(ReferralRow.referee_user_id, DealRow.account_id, DealRow.time, DealRow.ticket)
        )
        found: dict[tuple[int, int], dict[int, list[DealRow]]] = {}
        for referee, referrer, deal in (await self.session.execute(statement)).all():
            found.setdefault((referee, referrer), {}).setdefault(deal.account_id, []).append(deal)
        return [
            RebateSource(
                referee,
                referrer,
                tuple((account, tuple(deal_from_row(r) for r in rows)) for account, rows in by.items()),
            )
            for (referee, referrer), by in found.items()
            if any(row.time >= since for rows in by.values() for row in rows)
        ]

    async def withheld_positions(self, account_ids: Collection[int]) -> frozenset[tuple[int, int]]:
        rows = await self.session.execute(WITHHELD, {"ids": list(account_ids)})
        return frozenset((account, position) for account, position in rows.all())

    async def reverse_unpaid(
        self, affiliate_user_id: int, rule_version: str, details: dict[str, Any], now: datetime
    ) -> int:
        line = aliased(CommissionLineRow)
        reversal = aliased(CommissionLineRow)
        unpaid = (
            select(
                literal("rev:").concat(line.id.cast(LINES.c.dedupe_key.type)),
                line.affiliate_user_id,
                line.referee_user_id,
                line.payment_id,
                line.id,
                literal(LineKind.REVERSAL.value),
                -line.amount,
                line.currency,
                literal(rule_version),
                literal(details, LINES.c.details.type),
                literal(now, LINES.c.earned_at.type),
                line.payable_at,
            )
            .outerjoin(reversal, reversal.reverses_line_id == line.id)
            .where(
                and_(
                    line.affiliate_user_id == affiliate_user_id,
                    line.payout_id.is_(None),
                    # what the affiliate is owed: earnings, and a failed payout's amount given back
                    or_(line.kind != LineKind.REVERSAL.value, line.dedupe_key.like(GIVE_BACK)),
                    reversal.id.is_(None),
                )
            )
        )
        columns = [
            "dedupe_key", "affiliate_user_id", "referee_user_id", "payment_id", "reverses_line_id", "kind",
            "amount", "currency", "rule_version", "details", "earned_at", "payable_at",
        ]  # fmt: skip
        statement = (
            pg_insert(LINES)
            .from_select(columns, unpaid)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(*LINES.c)
        )
        written = [line_from_row(row) for row in (await self.session.execute(statement)).all()]  # type: ignore[arg-type]
        await self._tell(sorted(written, key=lambda line: line.id), now)
        return len(written)

    async def _tell(self, written: Sequence[CommissionLine], now: datetime) -> None:
        """A confirm's reversals are the affiliate's to know and the audit's to keep, whoever confirms
        (the fraud room calls reverse_unpaid inside its decision's transaction)."""
        if not written:
            return
        chats = await self.chat_ids({line.affiliate_user_id for line in written})
        outbox = SqlOutboxRepository(self.session)
        for line in written:
            alert = commission_alert(line)
            await outbox.add(Alert(f"commission:{line.id}", chats[line.affiliate_user_id], alert))
        await SqlAuditRepository(self.session).append_many(
            [line_audit(line, "ledger") for line in written], now
        )
