"""SQL for what the fraud checks read (issue 11): bulk reads by user and account ids, the bridge
sightings' upsert, and the withheld positions' upsert (what the scan found, for the ledger). Mixed into
SqlFraudRepository (db/repositories/fraud.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.affiliates import Referral
from core.domain.affiliates.fraud import LinkRecord, PayerRecord, Sighting, Withheld
from core.domain.snapshot import Deal, DealEntry
from db.repositories.deals import deal_from_row
from db.tables import AccountRow, DealRow
from db.tables_affiliates import BridgeSightingRow, PaymentRow, ReferralRow, WithheldPositionRow

EXITS = (DealEntry.OUT.value, DealEntry.OUT_BY.value, DealEntry.INOUT.value)
WITHHOLD_BATCH = 1000  # rows per INSERT: 4 parameters each, well under Postgres's 32767


class FraudInputQueries:
    session: AsyncSession

    async def referrals(self) -> list[Referral]:
        rows = await self.session.scalars(select(ReferralRow).order_by(ReferralRow.referee_user_id))
        return [Referral(r.referee_user_id, r.referrer_user_id, r.code, r.created_at) for r in rows]

    async def links(self, user_ids: Collection[int]) -> list[LinkRecord]:
        query = select(AccountRow).where(AccountRow.user_id.in_(list(user_ids))).order_by(AccountRow.id)
        rows = await self.session.scalars(query)
        return [LinkRecord(r.user_id, r.id, r.login, r.server, r.linked_at) for r in rows]

    async def sightings(self, account_ids: Collection[int]) -> list[Sighting]:
        table = BridgeSightingRow
        query = select(table).where(table.account_id.in_(list(account_ids)))
        rows = await self.session.scalars(query.order_by(table.account_id, table.ip))
        return [Sighting(r.account_id, r.ip, r.first_seen, r.last_seen) for r in rows]

    async def payers(self, user_ids: Collection[int]) -> list[PayerRecord]:
        query = (
            select(PaymentRow.user_id, PaymentRow.payer_fingerprint, PaymentRow.email)
            .distinct()
            .where(
                PaymentRow.user_id.in_(list(user_ids)),
                or_(PaymentRow.payer_fingerprint.is_not(None), PaymentRow.email.is_not(None)),
            )
            .order_by(PaymentRow.user_id, PaymentRow.payer_fingerprint, PaymentRow.email)
        )
        rows = await self.session.execute(query)
        return [PayerRecord(user_id, fingerprint, email) for user_id, fingerprint, email in rows if user_id]

    async def closed_position_deals(
        self, account_ids: Collection[int], since: datetime
    ) -> dict[int, list[Deal]]:
        closed = (
            select(DealRow.account_id, DealRow.position)
            .where(DealRow.account_id.in_(list(account_ids)), DealRow.time >= since, DealRow.entry.in_(EXITS))
            .distinct()
        )
        query = (
            select(DealRow)
            .where(tuple_(DealRow.account_id, DealRow.position).in_(closed))
            .order_by(DealRow.account_id, DealRow.time, DealRow.ticket)
        )
        found: dict[int, list[Deal]] = defaultdict(list)
        for row in await self.session.scalars(query):
            found[row.account_id].append(deal_from_row(row))
        return dict(found)

    async def record_sighting(self, account_id: int, ip: str, now: datetime) -> None:
        table = BridgeSightingRow.__table__
        upsert = insert(table).values(account_id=account_id, ip=ip, first_seen=now, last_seen=now)
        moved = upsert.on_conflict_do_update(
            index_elements=[table.c.account_id, table.c.ip],
            set_={"last_seen": upsert.excluded.last_seen},
            where=table.c.last_seen < upsert.excluded.last_seen,
        )
        await self.session.execute(moved)

    async def withhold(self, positions: Sequence[Withheld], now: datetime) -> None:
        table = WithheldPositionRow.__table__
        rows = [{"account_id": w.account_id, "position_id": w.position_id, "rule": w.rule, "found_at": now}
                for w in positions]  # fmt: skip
        for start in range(0, len(rows), WITHHOLD_BATCH):
            batch = insert(table).values(rows[start : start + WITHHOLD_BATCH])
            await self.session.execute(batch.on_conflict_do_nothing(index_elements=list(table.primary_key)))
