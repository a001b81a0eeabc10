"""Alerts about an account's link and feed: connected, shared, silent and back, locked and unlocked by
an admin, a trading day whose opening balance is unknown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from core.domain.alerts.base import AccountAlert, AlertBody


@dataclass(frozen=True, kw_only=True)
class AccountConnected(AccountAlert):
    """The first snapshot of a newly linked account was accepted."""

    equity: Decimal
    balance: Decimal


@dataclass(frozen=True, kw_only=True)
class AccountShared(AlertBody):
    """Another user linked the same login@server. Told at link time, before any snapshot: no currency."""

    login: int
    server: str


@dataclass(frozen=True, kw_only=True)
class FeedStale(AccountAlert):
    last_contact: datetime
    during_breach: bool


@dataclass(frozen=True, kw_only=True)
class FeedRestored(AccountAlert):
    last_contact: datetime


@dataclass(frozen=True, kw_only=True)
class TradingLocked(AccountAlert):
    """An admin locked trading on the account."""


@dataclass(frozen=True, kw_only=True)
class TradingUnlocked(AccountAlert):
    """An admin unlocked trading on the account."""


@dataclass(frozen=True, kw_only=True)
class TradingDayUnknown(AccountAlert):
    """The day's loss is counted from `day_open_balance`, which may be later than the real start."""

    day: str
    day_open_balance: Decimal
    last_contact: datetime
