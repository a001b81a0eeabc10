"""The population `bench/fraud.py` scans: ordinary users, planted fraud of every kind the checks know, and
innocent look-alikes that must not be flagged. Deterministic for a seed; Decimals drawn from small pools
so a million round trips fit in memory without a million distinct Decimal objects."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core.domain.affiliates.fraud import FraudInputs, LinkRecord, PayerRecord, RoundTrip, Sighting
from core.domain.affiliates.model import Referral

T0 = datetime(2026, 9, 1, tzinfo=UTC)
NOW = T0 + timedelta(days=90)
SERVER = "Broker-Live"
SYMBOLS = ("EURUSD", "GBPUSD", "USDJPY", "XAUUSD", "US500")
VOLUMES = tuple(Decimal(n) / 100 for n in range(1, 201))  # 0.01 .. 2.00 lots
PROFITS = tuple(Decimal(n) / 10 for n in range(-3000, 3001))  # -300.0 .. 300.0
COMMISSION_PER_LOT = Decimal(7)
FRAUD_KINDS = (
    "shared_login",
    "same_ip",
    "same_payer_fingerprint",
    "same_payer_email",
    "link_burst",
    "cluster",
    "wash_churn",
    "wash_flat",
    "wash_mirror",
    "wash_net_flat",
)
LOOKALIKE_KINDS = ("family_ip", "gmail_variant", "scalper", "small_burst", "ip_days_apart")


@dataclass
class World:
    rng: random.Random
    referrals: list[Referral] = field(default_factory=list)
    links: list[LinkRecord] = field(default_factory=list)
    sightings: list[Sighting] = field(default_factory=list)
    payers: list[PayerRecord] = field(default_factory=list)
    trips: list[RoundTrip] = field(default_factory=list)
    planted: dict[int, str] = field(default_factory=dict)  # referrer -> kind
    lookalikes: dict[int, str] = field(default_factory=dict)
    users: int = 0
    accounts: int = 0
    positions: int = 0
    shared_ips: int = 0

    def inputs(self) -> FraudInputs:
        return FraudInputs(
            tuple(self.referrals),
            tuple(self.links),
            tuple(self.sightings),
            tuple(self.payers),
            tuple(self.trips),
        )

    # -- people ---------------------------------------------------------------------------------------
    def person(self, at: datetime | None = None, email: str | None = None, login: int | None = None) -> int:
        """A user with one linked account seen from its own home address, and a payment half the time."""
        self.users += 1
        user = self.users
        at = at or T0 + timedelta(minutes=self.rng.randrange(60 * 24 * 60))
        self.link(user, at, login)
        if email is not None or self.rng.random() < 0.5:
            self.payers.append(PayerRecord(user, f"fp-{user:07d}", email or f"user{user}@example.com"))
        return user

    def link(self, user: int, at: datetime, login: int | None = None) -> int:
        self.accounts += 1
        account = self.accounts
        self.links.append(LinkRecord(user, account, login or 50_000_000 + account, SERVER, at))
        home = f"10.{(user >> 16) & 255}.{(user >> 8) & 255}.{user & 255}"
        self.sightings.append(Sighting(account, home, at, at + timedelta(days=self.rng.randrange(1, 30))))
        return account

    def account_of(self, user: int) -> LinkRecord:
        return next(link for link in reversed(self.links) if link.user_id == user)

    def refer(self, referrer: int, referee: int, at: datetime | None = None) -> None:
        self.referrals.append(Referral(referee, referrer, f"code{referrer}", at or T0))

    def seen(self, user: int, ip: str, start: datetime, hours: int = 6) -> None:
        self.sightings.append(
            Sighting(self.account_of(user).account_id, ip, start, start + timedelta(hours=hours))
        )

    def shared_ip(self) -> str:
        self.shared_ips += 1
        return f"198.{18 + (self.shared_ips >> 16)}.{(self.shared_ips >> 8) & 255}.{self.shared_ips & 255}"

    def carrier_sightings(self, links: list[LinkRecord], share: float = 0.1, pool: int = 500) -> None:
        """Noise: a share of the accounts is also seen from a mobile carrier's shared addresses (NAT), so
        strangers share addresses, some more than `cluster_max_identifier_users` of them."""
        for link in links:
            for _ in range(self.rng.randrange(3) if self.rng.random() < share else 0):
                n = self.rng.randrange(pool)
                start = T0 + timedelta(hours=self.rng.randrange(24 * 80))
                ip = f"100.64.{n >> 8}.{n & 255}"
                self.sightings.append(Sighting(link.account_id, ip, start, start + timedelta(hours=6)))

    # -- trades ---------------------------------------------------------------------------------------
    def trip(
        self,
        user: int,
        opened: datetime,
        hold: timedelta,
        volume: Decimal,
        profit: Decimal,
        side: str = "buy",
        symbol: str = "EURUSD",
    ) -> None:
        self.positions += 1
        account = self.account_of(user).account_id
        commission = -(volume * COMMISSION_PER_LOT)
        self.trips.append(
            RoundTrip(
                account, self.positions, symbol, side, volume, opened, opened + hold, profit, commission
            )
        )

    def background_trips(self, count: int, links: list[LinkRecord]) -> None:
        """`count` ordinary round trips spread over `links`: minutes to days held, profit from -300 to
        300, so a flat one is rare and a short one rarer."""
        rng, base = self.rng, T0 + timedelta(days=60)
        for _ in range(count):
            link = links[rng.randrange(len(links))]
            volume = VOLUMES[rng.randrange(len(VOLUMES))]
            opened = base + timedelta(seconds=rng.randrange(30 * 86400))
            hold = timedelta(seconds=600 + int(rng.expovariate(1 / 20000)))
            self.positions += 1
            self.trips.append(
                RoundTrip(
                    link.account_id,
                    self.positions,
                    SYMBOLS[rng.randrange(len(SYMBOLS))],
                    "buy" if rng.random() < 0.5 else "sell",
                    volume,
                    opened,
                    opened + hold,
                    PROFITS[rng.randrange(len(PROFITS))],
                    -(volume * COMMISSION_PER_LOT),
                )
            )
