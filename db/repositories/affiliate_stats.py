"""SQL for the affiliate programme's figures (/referral, /stats, GET /v1/affiliates/summary): read only.

A line's status is derived as CommissionLine.status does it (paid once a payout took it, payable from
`payable_at`, pending before); weeks are ISO weeks in UTC (`date_trunc('week')` starts on Monday). A
paid or renewed payment counts as paying unless a refund or chargeback of the same payer covers its
whole period ("fully taken back"); revenue subtracts refunds and chargebacks whatever their sign."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.affiliates import LineStatus
from core.services.ports.affiliate_stats import AffiliateStanding, Commission, WeekFigures

STATUS = (
    "CASE WHEN payout_id IS NOT NULL THEN 'paid' WHEN payable_at <= :now THEN 'payable' ELSE 'pending' END"
)
PAYING = """
    p.type IN ('paid', 'renewed') AND NOT EXISTS (
        SELECT 1 FROM payments b
        WHERE b.telegram_id = p.telegram_id AND b.type IN ('refunded', 'chargeback')
          AND b.period_start <= p.period_start AND b.period_end >= p.period_end)
"""


def _week(column: str) -> str:
    return f"date_trunc('week', {column} AT TIME ZONE 'UTC')::date"


SIGNUPS = text("SELECT count(*) FROM referrals WHERE referrer_user_id = :user_id")
PAYING_REFEREES = text(
    f"""
    SELECT count(DISTINCT r.referee_user_id) FROM referrals r
    JOIN users u ON u.id = r.referee_user_id
    JOIN payments p ON p.telegram_id = u.telegram_id
    WHERE r.referrer_user_id = :user_id AND {PAYING}
    """
)
COMMISSION = text(
    f"""SELECT {STATUS}, currency, sum(amount) FROM commission_lines
    WHERE affiliate_user_id = :user_id GROUP BY 1, 2"""
)
NEXT_PAYABLE = text(
    """SELECT min(payable_at) FROM commission_lines
    WHERE affiliate_user_id = :user_id AND payout_id IS NULL AND payable_at > :now"""
)
OPEN_CASE = text("SELECT signals FROM fraud_cases WHERE affiliate_user_id = :user_id AND status = 'open'")

WEEK_SIGNUPS = text(
    f"""SELECT {_week("u.created_at")}, count(*), count(r.referee_user_id) FROM users u
    LEFT JOIN referrals r ON r.referee_user_id = u.id
    WHERE u.created_at >= :since AND u.created_at <= :now GROUP BY 1"""
)
WEEK_PAYING = text(
    f"""SELECT {_week("p.received_at")}, count(DISTINCT p.telegram_id) FROM payments p
    WHERE p.received_at >= :since AND p.received_at <= :now AND {PAYING} GROUP BY 1"""
)
WEEK_REVENUE = text(
    f"""SELECT {_week("received_at")}, currency,
        sum(CASE WHEN type IN ('refunded', 'chargeback') THEN -abs(amount) ELSE amount END)
    FROM payments WHERE received_at >= :since AND received_at <= :now GROUP BY 1, 2"""
)
WEEK_COMMISSION = text(
    f"""SELECT {_week("earned_at")}, {STATUS}, currency, sum(amount) FROM commission_lines
    WHERE earned_at >= :since AND earned_at <= :now GROUP BY 1, 2, 3"""
)
WEEK_FRAUD = text(
    f"""SELECT {_week("opened_at")}, count(*) FROM fraud_cases
    WHERE status = 'open' AND opened_at >= :since AND opened_at <= :now GROUP BY 1"""
)


def rules_of(signals: Any) -> tuple[str, ...]:
    """The rule names of a case's stored signals ({"signals": [{"rule": …}, …]}), each once, in order."""
    listed = signals.get("signals", []) if isinstance(signals, dict) else []
    names = [item.get("rule") for item in listed if isinstance(item, dict)]
    return tuple(dict.fromkeys(name for name in names if isinstance(name, str)))


def _commission(rows: Iterable[Any]) -> Commission:
    return {(LineStatus(status), currency): Decimal(total) for status, currency, total in rows}


class SqlAffiliateStatsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _rows(self, query: Any, **params: Any) -> list[Any]:
        return list((await self.session.execute(query, params)).all())

    async def standing(self, user_id: int, now: datetime) -> AffiliateStanding:
        signups = (await self.session.execute(SIGNUPS, {"user_id": user_id})).scalar_one()
        paying = (await self.session.execute(PAYING_REFEREES, {"user_id": user_id})).scalar_one()
        commission = _commission(await self._rows(COMMISSION, user_id=user_id, now=now))
        next_at = (await self.session.execute(NEXT_PAYABLE, {"user_id": user_id, "now": now})).scalar()
        case = (await self.session.execute(OPEN_CASE, {"user_id": user_id})).first()
        hold = None if case is None else rules_of(case[0])
        return AffiliateStanding(signups, paying, commission, next_at, hold)

    async def weeks(self, since: datetime, now: datetime) -> list[WeekFigures]:
        found: dict[date, WeekFigures] = {}

        def week(day: date) -> WeekFigures:
            return found.setdefault(day, WeekFigures(day))

        for day, signups, referred in await self._rows(WEEK_SIGNUPS, since=since, now=now):
            week(day).signups, week(day).referred_signups = signups, referred
        for day, paying in await self._rows(WEEK_PAYING, since=since, now=now):
            week(day).paying = paying
        for day, currency, total in await self._rows(WEEK_REVENUE, since=since, now=now):
            week(day).revenue[currency] = Decimal(total)
        for day, status, currency, total in await self._rows(WEEK_COMMISSION, since=since, now=now):
            week(day).commission[(LineStatus(status), currency)] = Decimal(total)
        for day, cases in await self._rows(WEEK_FRAUD, since=since, now=now):
            week(day).open_fraud_cases = cases
        return sorted(found.values(), key=lambda figures: figures.week)
