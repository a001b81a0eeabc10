"""Alerts of the market guards: a price gap, a spread blow-out, frozen quotes on a held symbol. Each
carries the guard's event as it was reported and what the service did about it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from core.domain.alerts.base import AccountAlert, MarketResponse
from core.domain.market import MoveDirection


@dataclass(frozen=True, kw_only=True)
class MarketAlert(AccountAlert):
    """`closed_tickets`: the exposed positions asked to close (empty unless `action` is CLOSED)."""

    symbol: str
    time: datetime
    episode: int
    closed_tickets: tuple[int, ...]
    action: MarketResponse


@dataclass(frozen=True, kw_only=True)
class MarketGap(MarketAlert):
    previous_bid: Decimal
    previous_time: datetime
    bid: Decimal
    move_percent: Decimal  # signed: negative when the bid fell
    direction: MoveDirection


@dataclass(frozen=True, kw_only=True)
class MarketSpread(MarketAlert):
    spread: Decimal
    usual_spread: Decimal
    multiple: Decimal
    direction: MoveDirection | None
    move_percent: Decimal


@dataclass(frozen=True, kw_only=True)
class MarketStale(MarketAlert):
    unchanged_since: datetime
