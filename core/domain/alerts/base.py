"""What every alert is made of: the base types, the account an alert is about, and the small values
several alerts share."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TypedDict


@dataclass(frozen=True)
class AlertBody:
    """Base of every alert type (one frozen dataclass per kind, registered in `registry`)."""


class AccountFields(TypedDict):
    """The fields that say which account an alert is about, to pass as `**fields` to its type."""

    login: int
    server: str
    currency: str


@dataclass(frozen=True, kw_only=True)
class AccountAlert(AlertBody):
    """An alert about one account; `currency` is "" while the account has not said which it uses."""

    login: int
    server: str
    currency: str = ""


@dataclass(frozen=True)
class ClosedPosition:
    """One position a close_all closed, as the EA acknowledged it (BRIDGE.md, ack `results`)."""

    ticket: int
    closed_volume: Decimal = Decimal(0)
    price: Decimal | None = None
    profit: Decimal | None = None


class MarketGuardKind(StrEnum):
    """Which market guard fired (the suffix of the market alerts' kinds)."""

    GAP = "gap"
    SPREAD = "spread"
    STALE = "stale"


class MarketResponse(StrEnum):
    """What the service did about a market alarm on an exposed position."""

    CLOSED = "closed"  # close_position was issued for the exposed positions
    ALERTED = "alerted"  # MARKET_GUARD_ACTION=alert: nothing was closed
    WATCH = "watch"  # frozen quotes: nothing to close on, the guard keeps watching
