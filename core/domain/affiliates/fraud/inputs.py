"""What the fraud checks read, as plain records (the scan service loads them from the tables; the bench
plants them), and what a scan returns. The contract between `core.domain.affiliates.fraud` (pure checks
and scoring) and `core.services.fraud` (loading, cases, holds)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from core.domain.affiliates.model import FraudSignal, Referral


@dataclass(frozen=True)
class LinkRecord:
    """One user's link to an MT5 account (accounts row)."""

    user_id: int
    account_id: int
    login: int
    server: str
    linked_at: datetime


@dataclass(frozen=True)
class Sighting:
    """An address an account's EA reached the bridge from (bridge_sightings row)."""

    account_id: int
    ip: str
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True)
class PayerRecord:
    """Who paid for a user's subscription, as the payment system told us (payments rows)."""

    user_id: int
    fingerprint: str | None
    email: str | None


@dataclass(frozen=True)
class RoundTrip:
    """A closed position of an account: opened, closed, its volume and money. `profit` is gross (before
    commission and swap); `spread_cost` is what the spread cost (0 when the loader cannot tell)."""

    account_id: int
    position_id: int
    symbol: str
    side: str  # buy | sell
    volume: Decimal
    opened_at: datetime
    closed_at: datetime
    profit: Decimal
    commission: Decimal = Decimal(0)
    swap: Decimal = Decimal(0)
    spread_cost: Decimal = Decimal(0)
    bot: bool = False  # bot-attributed (core.domain.attribution), what per-lot rebates are paid on


@dataclass(frozen=True)
class FraudInputs:
    referrals: tuple[Referral, ...]
    links: tuple[LinkRecord, ...]
    sightings: tuple[Sighting, ...] = ()
    payers: tuple[PayerRecord, ...] = ()
    round_trips: tuple[RoundTrip, ...] = ()


@dataclass(frozen=True)
class FraudConfig:
    threshold: Decimal = Decimal(60)  # FRAUD_SCORE_THRESHOLD
    wash_min_hold: timedelta = timedelta(minutes=2)  # FRAUD_WASH_MIN_HOLD_SECONDS
    same_ip_window: timedelta = timedelta(hours=24)
    link_burst_window: timedelta = timedelta(minutes=10)
    link_burst_count: int = 3
    version: str = "f1"


@dataclass(frozen=True)
class Assessment:
    """One affiliate's score with the signals behind it and the reasons in a stable order."""

    affiliate_user_id: int
    score: Decimal
    signals: tuple[FraudSignal, ...]
    reasons: tuple[str, ...] = field(default=())
    withheld_positions: tuple[tuple[int, int], ...] = ()  # (account_id, position_id) of wash volume

    def over(self, threshold: Decimal) -> bool:
        return self.score >= threshold
