"""The signal alert: a signal waiting for the trader's Approve or Skip (approve mode)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from core.domain.alerts.base import AccountAlert
from core.domain.snapshot import Side


@dataclass(frozen=True, kw_only=True)
class SignalReceived(AccountAlert):
    """`volume` is what the account would open (sized from `risk_percent` when the signal gave one);
    `account_id` names the account in the buttons' callback data."""

    account_id: int
    signal_id: str
    symbol: str
    side: Side
    volume: Decimal
    risk_percent: Decimal | None = None
    entry: Decimal | None = None
    sl: Decimal | None = None
    tp: Decimal | None = None
    expires_at: datetime | None = None
