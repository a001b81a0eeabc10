"""Alerts about the service itself, to the admins: a dependency (Postgres, Redis, Telegram) has been
unreachable for a while, and then is back. Sent by core.services.degraded, straight through the bot
(an outbox in a database that is down could not hold them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.domain.alerts.base import AlertBody


@dataclass(frozen=True, kw_only=True)
class SystemDegraded(AlertBody):
    dependency: str  # "postgres", "redis" or "telegram": a product's name, shown as it is
    since: datetime


@dataclass(frozen=True, kw_only=True)
class SystemRecovered(AlertBody):
    dependency: str
    since: datetime
    until: datetime
