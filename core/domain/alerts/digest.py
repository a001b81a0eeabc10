"""The admins' digest: one alert per window whose items pile up from every account's transaction in
that window (the outbox appends the items of a later transaction to the pending digest).

Each item's `event` names its type in the payload (it is set by the type, not passed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from core.domain.alerts.base import AlertBody, MarketGuardKind
from core.domain.guard.events import BreachReason


@dataclass(frozen=True, kw_only=True)
class DigestItem:
    login: int
    server: str
    currency: str = ""


@dataclass(frozen=True, kw_only=True)
class LiquidationStarted(DigestItem):
    reason: BreachReason
    event: str = field(default="started", init=False)


@dataclass(frozen=True, kw_only=True)
class LiquidationDone(DigestItem):
    realised: Decimal
    event: str = field(default="completed", init=False)


@dataclass(frozen=True, kw_only=True)
class WentSilent(DigestItem):
    last_contact: datetime
    event: str = field(default="stale", init=False)


@dataclass(frozen=True, kw_only=True)
class MarketGuardFired(DigestItem):
    kind: MarketGuardKind
    symbol: str
    closed: int  # how many positions were asked to close
    event: str = field(default="market", init=False)


@dataclass(frozen=True, kw_only=True)
class FastMarketSeen(DigestItem):
    episode: int
    from_percent: Decimal
    to_percent: Decimal
    seconds: int
    event: str = field(default="fast_market", init=False)


AnyDigestItem = LiquidationStarted | LiquidationDone | WentSilent | MarketGuardFired | FastMarketSeen


@dataclass(frozen=True)
class AdminDigest(AlertBody):
    items: tuple[AnyDigestItem, ...]
