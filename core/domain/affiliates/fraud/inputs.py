"""What the fraud checks read, as plain records (the scan service loads them from the tables; the bench
plants them), and what a scan returns. The contract between `core.domain.affiliates.fraud` (pure checks
and scoring) and `core.services.fraud` (loading, cases, holds)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

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
    # Added with the checks (defaults are the rule set "f1"; see the weight table in score.py).
    wash_min_round_trips: int = 20  # a referee's share of short or flat round trips counts from this many
    wash_short_share: Decimal = Decimal("0.8")  # share of round trips held under wash_min_hold
    wash_flat_share: Decimal = Decimal("0.5")  # share of round trips with |profit| <= costs
    mirror_window: timedelta = timedelta(minutes=1)  # opens and closes of a mirrored pair this close
    mirror_volume_tolerance: Decimal = Decimal("0.1")  # volumes within 10% of the larger
    net_flat_window: timedelta = timedelta(hours=24)  # windows aligned on the epoch, UTC
    net_flat_share: Decimal = Decimal("0.01")  # net position change <= 1% of the volume traded
    net_flat_min_round_trips: int = 10
    net_flat_max_accounts: int = 6  # a ring is a few accounts; a crowd nets out by chance
    cluster_max_identifier_users: int = 20  # an identifier shared by more users (a carrier NAT) joins none
    score_cap: Decimal = Decimal(100)


class Withheld(NamedTuple):
    """A position of wash volume: it earns no per-lot rebate (the ledger reads `withheld_positions`)."""

    account_id: int
    position_id: int
    rule: str  # the heaviest rule that named it


@dataclass(frozen=True)
class Assessment:
    """One affiliate's score with the signals behind it and the reasons in a stable order."""

    affiliate_user_id: int
    score: Decimal
    signals: tuple[FraudSignal, ...]
    reasons: tuple[str, ...] = field(default=())
    withheld: tuple[Withheld, ...] = ()  # by (account_id, position_id)

    @property
    def withheld_positions(self) -> tuple[tuple[int, int], ...]:
        """(account_id, position_id) of the wash volume."""
        return tuple((w.account_id, w.position_id) for w in self.withheld)

    def over(self, threshold: Decimal) -> bool:
        return self.score >= threshold
