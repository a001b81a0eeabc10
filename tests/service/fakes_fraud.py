"""In-memory FraudRepository for service tests: cases as FraudCase values in `store.affiliates["cases"]`,
with the SQL repository's rules (one open case per affiliate, decisions only on an open case)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from core.domain.affiliates import CaseStatus, FraudCase, Referral
from core.domain.affiliates.fraud import LinkRecord, PayerRecord, Sighting, Withheld
from core.domain.snapshot import Deal
from core.services.ports.fraud import CaseFindings


class FakeFraud:
    def __init__(self, store: Any) -> None:
        self.s = store

    @property
    def cases(self) -> dict[int, FraudCase]:
        return self.s.affiliates.setdefault("cases", {})  # type: ignore[no-any-return]

    @property
    def codes(self) -> dict[int, dict[str, Any]]:
        return self.s.affiliates.setdefault("codes", {})  # type: ignore[no-any-return]

    async def referrals(self) -> list[Referral]:
        return list(self.s.affiliates.get("referrals", ()))

    async def links(self, user_ids: Collection[int]) -> list[LinkRecord]:
        return [
            LinkRecord(a.user_id, a.id, a.login, a.server, a.linked_at)
            for a in self.s.accounts.values()
            if a.user_id in user_ids
        ]

    async def sightings(self, account_ids: Collection[int]) -> list[Sighting]:
        return [s for s in self.s.affiliates.get("sightings", ()) if s.account_id in account_ids]

    async def payers(self, user_ids: Collection[int]) -> list[PayerRecord]:
        return [p for p in self.s.affiliates.get("payers", ()) if p.user_id in user_ids]

    async def closed_position_deals(
        self, account_ids: Collection[int], since: datetime
    ) -> dict[int, list[Deal]]:
        return {}

    async def record_sighting(self, account_id: int, ip: str, now: datetime) -> None:
        self.s.affiliates.setdefault("sightings", []).append(Sighting(account_id, ip, now, now))

    @property
    def withheld(self) -> dict[tuple[int, int], tuple[str, datetime]]:
        return self.s.affiliates.setdefault("withheld", {})  # type: ignore[no-any-return]

    async def withhold(self, positions: Sequence[Withheld], now: datetime) -> None:
        for w in positions:
            self.withheld.setdefault((w.account_id, w.position_id), (w.rule, now))

    async def open_case(self, affiliate_user_id: int) -> FraudCase | None:
        found = (
            c
            for c in self.cases.values()
            if c.affiliate_user_id == affiliate_user_id and c.status is CaseStatus.OPEN
        )
        return next(found, None)

    async def last_decided(self, affiliate_user_id: int) -> FraudCase | None:
        decided = [
            c
            for c in self.cases.values()
            if c.affiliate_user_id == affiliate_user_id and c.status is not CaseStatus.OPEN
        ]
        return max(decided, key=lambda c: c.decided_at or c.opened_at, default=None)

    async def open(self, affiliate_user_id: int, findings: CaseFindings, now: datetime) -> FraudCase | None:
        if await self.open_case(affiliate_user_id) is not None:
            return None
        case = FraudCase(
            next(self.s.ids), affiliate_user_id, CaseStatus.OPEN, findings.score, findings.signals,
            findings.reasons, findings.rule_version, now, now,
        )  # fmt: skip
        self.cases[case.id] = case
        return case

    async def update_open(self, case_id: int, findings: CaseFindings, now: datetime) -> None:
        case = self.cases[case_id]
        if case.status is CaseStatus.OPEN:
            self.cases[case_id] = replace(
                case, score=findings.score, signals=findings.signals, reasons=findings.reasons,
                rule_version=findings.rule_version, updated_at=now,
            )  # fmt: skip

    async def get(self, case_id: int) -> FraudCase | None:
        return self.cases.get(case_id)

    async def queue(self, limit: int) -> list[FraudCase]:
        waiting = [c for c in self.cases.values() if c.status is CaseStatus.OPEN]
        waiting.sort(key=lambda c: (c.decided_at is not None, c.decided_at or c.opened_at, c.id))
        return waiting[:limit]

    async def count_open(self) -> int:
        return len(await self.queue(len(self.cases)))

    async def decide(
        self, case_id: int, status: CaseStatus, by: str, decision: str, now: datetime
    ) -> FraudCase | None:
        case = self.cases.get(case_id)
        if case is None or case.status is not CaseStatus.OPEN:
            return None
        self.cases[case_id] = replace(case, status=status, decided_at=now, decided_by=by, decision=decision)
        return self.cases[case_id]

    async def ban_code(self, user_id: int, reason: str, now: datetime) -> bool:
        code = self.codes.get(user_id)
        if code is None or code.get("banned_at") is not None:
            return False
        code |= {"banned_at": now, "ban_reason": reason}
        return True

    async def who(self, user_id: int) -> tuple[int, str] | None:
        found = (u for u in self.s.users.values() if u.id == user_id)
        user = next(found, None)
        return (user.telegram_id, user.first_name) if user is not None else None
