"""In-memory LedgerRepository for service tests. In `store.affiliates`: "lines" (dicts, the columns of
commission_lines), "payments" (Payment), "referrals" (referee user id → referrer user id), "payouts"
(Payout), "fraud_open" (affiliate user ids with an open case), "deals" (referee → (account id, deals)
per account), "withheld" ((account id, position id) the fraud checks named as wash volume)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import asdict, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from core.domain.affiliates import CommissionLine, LineKind, Payment, Payout, PayoutStatus
from core.domain.affiliates.commission import NewLine, line_audit
from core.domain.affiliates.payouts import Balance
from core.domain.alerts.affiliates import commission_alert
from core.domain.models import Alert
from core.services.ports.ledger import PayableLine, RebateSource, ReferralOf


class FakeLedger:
    def __init__(self, store: Any) -> None:
        self.s = store

    def _list(self, name: str) -> list[Any]:
        return self.s.affiliates.setdefault(name, [])  # type: ignore[no-any-return]

    @property
    def lines(self) -> list[dict[str, Any]]:
        return self._list("lines")

    @property
    def payouts(self) -> list[Payout]:
        return self._list("payouts")

    async def reverse_unpaid(
        self, affiliate_user_id: int, rule_version: str, details: dict[str, Any], now: datetime
    ) -> int:
        reversed_ids = {line["reverses_line_id"] for line in self.lines if line.get("reverses_line_id")}
        taken = [
            line
            for line in self.lines
            if line["affiliate_user_id"] == affiliate_user_id
            and line.get("payout_id") is None
            and (line["kind"] != "reversal" or line.get("dedupe_key", "").startswith("payout-failed:"))
            and line["id"] not in reversed_ids
        ]
        for line in taken:
            row = {
                **line,
                "id": next(self.s.ids),
                "dedupe_key": f"rev:{line['id']}",
                "kind": "reversal",
                "amount": -line["amount"],
                "reverses_line_id": line["id"],
                "rule_version": rule_version,
                "details": details,
                "earned_at": now,
            }
            self.lines.append(row)
            # other rooms' tests store only the columns they read: the rest as a written line has them
            await self._tell(_line({"currency": "XTR", "payable_at": now, **row}), now)
        return len(taken)

    async def _tell(self, line: CommissionLine, now: datetime) -> None:
        """As the SQL repository does: the reversal is alerted and audited in the same transaction."""
        from tests.service.fakes import FakeOutbox  # fakes.py imports this module first

        chat = (await self.chat_ids({line.affiliate_user_id}))[line.affiliate_user_id]
        await FakeOutbox(self.s).add(Alert(f"commission:{line.id}", chat, commission_alert(line)))
        self.s.audit.append((now, line_audit(line, "ledger")))

    # --- the ledger pass -----------------------------------------------------------------------------

    async def claim_unledgered(self, limit: int) -> list[Payment]:
        done = self.s.affiliates.setdefault("ledgered", set())
        return [p for p in self._list("payments") if p.id not in done][:limit]

    async def referral_of(self, payment: Payment) -> ReferralOf | None:
        user_id = payment.user_id
        if user_id is None:
            user = self.s.users.get(payment.telegram_id)
            user_id = user.id if user is not None else None
        referrer = self.s.affiliates.setdefault("referrals", {}).get(user_id)
        return ReferralOf(user_id, referrer) if referrer is not None and user_id is not None else None

    async def lock_referees(self, referee_user_ids: Collection[int]) -> None:
        return None  # one process, one event loop: nothing runs between the fake's awaits

    async def payments_of(self, referee_user_id: int, telegram_id: int) -> list[Payment]:
        mine = (referee_user_id, telegram_id)
        return [p for p in self._list("payments") if p.user_id == mine[0] or p.telegram_id == mine[1]]

    async def lines_of_referee(self, referee_user_id: int) -> list[CommissionLine]:
        return [_line(row) for row in self.lines if row.get("referee_user_id") == referee_user_id]

    async def add_lines(self, lines: Sequence[NewLine]) -> list[CommissionLine]:
        keys = {row["dedupe_key"] for row in self.lines}
        reversed_ids = {row.get("reverses_line_id") for row in self.lines} - {None}
        written = []
        for line in lines:
            if line.dedupe_key in keys or line.reverses_line_id in reversed_ids:
                continue  # as the unique dedupe_key and reverses_line_id do
            row = {**asdict(line), "kind": line.kind.value, "id": next(self.s.ids), "payout_id": None}
            self.lines.append(row)
            keys.add(line.dedupe_key)
            written.append(_line(row))
        return written

    async def mark_ledgered(self, payment_ids: Collection[int], now: datetime) -> None:
        self.s.affiliates.setdefault("ledgered", set()).update(payment_ids)

    async def chat_ids(self, user_ids: Collection[int]) -> dict[int, int]:
        return {u.id: u.telegram_id for u in self.s.users.values() if u.id in user_ids}

    async def rebate_sources(self, since: datetime, until: datetime) -> list[RebateSource]:
        referrals = self.s.affiliates.setdefault("referrals", {})
        deals = self.s.affiliates.setdefault("deals", {})
        return [
            RebateSource(referee, referrals[referee], tuple(accounts)) for referee, accounts in deals.items()
        ]

    async def withheld_positions(self, account_ids: Collection[int]) -> frozenset[tuple[int, int]]:
        return frozenset(p for p in self.s.affiliates.get("withheld", ()) if p[0] in account_ids)

    # --- payouts -------------------------------------------------------------------------------------

    async def balances(self, now: datetime) -> list[Balance]:
        sums: dict[tuple[int, str], Decimal] = {}
        for row in self.lines:
            if row["payout_id"] is None and row["payable_at"] <= now:
                key = (row["affiliate_user_id"], row["currency"])
                sums[key] = sums.get(key, Decimal(0)) + row["amount"]
        users = {u.id: u for u in self.s.users.values()}
        return [
            Balance(user_id, users[user_id].telegram_id, users[user_id].first_name, currency, total)
            for (user_id, currency), total in sorted(sums.items())
        ]

    async def open_fraud(self, affiliate_user_ids: Collection[int]) -> set[int]:
        return set(self.s.affiliates.get("fraud_open", set())) & set(affiliate_user_ids)

    async def unresolved(self, affiliate_user_ids: Collection[int]) -> set[int]:
        return {p.affiliate_user_id for p in self.payouts if p.status.blocks_next} & set(affiliate_user_ids)

    async def paid_in(self, period: str, affiliate_user_ids: Collection[int]) -> set[tuple[int, str]]:
        return {
            (p.affiliate_user_id, p.currency)
            for p in self.payouts
            if p.period == period
            and p.status is not PayoutStatus.FAILED
            and p.affiliate_user_id in affiliate_user_ids
        }

    async def lock_payable(self, affiliate_user_id: int, currency: str, now: datetime) -> list[PayableLine]:
        return [
            PayableLine(row["id"], row["amount"])
            for row in self.lines
            if row["affiliate_user_id"] == affiliate_user_id
            and row["currency"] == currency
            and row["payout_id"] is None
            and row["payable_at"] <= now
        ]

    async def insert_payout(
        self, affiliate_user_id: int, period: str, amount: Decimal, currency: str, by: str, now: datetime
    ) -> Payout | None:
        if any(  # as the partial unique index does: a failed payout does not hold the key
            (p.affiliate_user_id, p.period, p.currency) == (affiliate_user_id, period, currency)
            and p.status is not PayoutStatus.FAILED
            for p in self.payouts
        ):
            return None
        payout = Payout(
            next(self.s.ids), affiliate_user_id, period, amount, currency, PayoutStatus.PENDING, by, now
        )
        self.payouts.append(payout)
        return payout

    async def attach(self, payout_id: int, line_ids: Collection[int]) -> None:
        for row in self.lines:
            if row["id"] in line_ids:
                assert row["payout_id"] is None, "the ledger is append-only: a line is taken once"
                row["payout_id"] = payout_id

    async def lock_payout(self, payout_id: int) -> Payout | None:
        return next((p for p in self.payouts if p.id == payout_id), None)

    async def set_status(
        self, payout_id: int, status: PayoutStatus, now: datetime, reference: str | None
    ) -> None:
        for n, payout in enumerate(self.payouts):
            if payout.id == payout_id:
                self.payouts[n] = replace(payout, status=status, resolved_at=now, reference=reference)

    async def payouts_with(self, statuses: Collection[PayoutStatus]) -> list[Payout]:
        return [p for p in self.payouts if p.status in statuses]


def _line(row: dict[str, Any]) -> CommissionLine:
    return CommissionLine(
        row["id"], row["affiliate_user_id"], LineKind(row["kind"]), row["amount"], row["currency"],
        row["rule_version"], row["earned_at"], row["payable_at"], row["dedupe_key"],
        row.get("referee_user_id"), row.get("payment_id"), row.get("reverses_line_id"), row.get("payout_id"),
        dict(row.get("details") or {}),
    )  # fmt: skip
