"""Port: fraud cases and what the fraud checks read (issue 11, docs/affiliates.md)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from core.domain.affiliates import CaseStatus, FraudCase, FraudSignal, Referral
from core.domain.affiliates.fraud import LinkRecord, PayerRecord, Sighting, Withheld
from core.domain.snapshot import Deal


@dataclass(frozen=True)
class CaseFindings:
    """What a scan found about one affiliate, as a case stores it."""

    score: Decimal
    signals: tuple[FraudSignal, ...]
    reasons: tuple[str, ...]
    rule_version: str


class FraudRepository(Protocol):
    # --- what the checks read (a few bulk queries per scan) -------------------------------------------
    async def referrals(self) -> list[Referral]: ...
    async def links(self, user_ids: Collection[int]) -> list[LinkRecord]: ...
    async def sightings(self, account_ids: Collection[int]) -> list[Sighting]: ...
    async def payers(self, user_ids: Collection[int]) -> list[PayerRecord]: ...
    async def closed_position_deals(
        self, account_ids: Collection[int], since: datetime
    ) -> dict[int, list[Deal]]:
        """Per account, every deal of each position with an exit at or after `since` (its entry too)."""
        ...

    async def record_sighting(self, account_id: int, ip: str, now: datetime) -> None:
        """Upsert (account, ip): first_seen kept, last_seen moved to `now`."""
        ...

    async def withhold(self, positions: Sequence[Withheld], now: datetime) -> None:
        """Upsert into withheld_positions by (account_id, position_id): a position already there keeps its
        first rule and found_at, so a retried or repeated scan changes nothing."""
        ...

    # --- cases ----------------------------------------------------------------------------------------
    async def open_case(self, affiliate_user_id: int) -> FraudCase | None: ...
    async def last_decided(self, affiliate_user_id: int) -> FraudCase | None:
        """The affiliate's most recently cleared or confirmed case (a case put off "later" is still open)."""
        ...

    async def open(self, affiliate_user_id: int, findings: CaseFindings, now: datetime) -> FraudCase | None:
        """A new open case; None when the affiliate already has one (the partial unique index)."""
        ...

    async def update_open(self, case_id: int, findings: CaseFindings, now: datetime) -> None: ...
    async def get(self, case_id: int) -> FraudCase | None: ...
    async def queue(self, limit: int) -> list[FraudCase]:
        """Open cases, those never put off first (oldest first), then those put off ("later")."""
        ...

    async def count_open(self) -> int: ...
    async def decide(
        self, case_id: int, status: CaseStatus, by: str, decision: str, now: datetime
    ) -> FraudCase | None:
        """Conditional: only an open case changes (None otherwise). `status` open records a "later"."""
        ...

    async def ban_code(self, user_id: int, reason: str, now: datetime) -> bool: ...
    async def who(self, user_id: int) -> tuple[int, str] | None:
        """A user's Telegram id and first name (for the admins' view and the alerts' recipients)."""
        ...
