"""The affiliate programme by ISO week (issue 11): /stats for admins and GET /v1/affiliates/summary for
an operator token. Read only; who asks is checked here, not only at the edge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from core.domain.models import User
from core.services.attribution import RequireAdmin
from core.services.errors import Forbidden
from core.services.ports import Clock, UnitOfWorkFactory
from core.services.ports.affiliate_stats import WeekFigures
from core.services.signals import OPERATOR_ROLE

WEEKS = 12


@dataclass(frozen=True)
class Summary:
    """The last WEEKS ISO weeks, oldest first, the current (partial) week last; a quiet week is zeros."""

    weeks: tuple[WeekFigures, ...]
    generated_at: datetime


def week_start(moment: datetime) -> date:
    """The Monday (UTC) of `moment`'s ISO week."""
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


class AffiliateStatsService:
    def __init__(self, uow: UnitOfWorkFactory, require_admin: RequireAdmin, clock: Clock) -> None:
        self.uow = uow
        self.require_admin = require_admin
        self.clock = clock

    async def for_admin(self, actor: User) -> Summary:
        """/stats: raises Forbidden (already audited) unless `actor` is an admin."""
        await self.require_admin(actor, "stats")
        return await self._summary()

    async def for_operator(self, role: str) -> Summary:
        if role != OPERATOR_ROLE:
            raise Forbidden(f"role {role!r} may not read the affiliate summary")
        return await self._summary()

    async def _summary(self) -> Summary:
        now = self.clock()
        first = week_start(now) - timedelta(weeks=WEEKS - 1)
        since = datetime.combine(first, time(), UTC)
        async with self.uow() as uow:
            found = {figures.week: figures for figures in await uow.affiliate_stats.weeks(since, now)}
        days = [first + timedelta(weeks=n) for n in range(WEEKS)]
        return Summary(tuple(found.get(day) or WeekFigures(day) for day in days), now)
