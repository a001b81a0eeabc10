"""Alerts of the global halt: told to every trader, about no account in particular."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.domain.alerts.base import AlertBody


@dataclass(frozen=True, kw_only=True)
class HaltStarted(AlertBody):
    halt: int
    since: datetime


@dataclass(frozen=True, kw_only=True)
class HaltEnded(AlertBody):
    halt: int
    since: datetime
    until: datetime
