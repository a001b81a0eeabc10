"""GET /v1/affiliates/summary (issue 11): the affiliate programme's last twelve ISO weeks, for an operator
token. Decimals as exact strings, times ISO 8601 Z (core.domain.codec)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from core.api.errors import HttpError, json_response
from core.api.operator import require_operator
from core.domain.affiliates import LineStatus
from core.domain.codec import encode_time
from core.services.affiliate_stats import AffiliateStatsService, Summary, iso_week
from core.services.errors import Forbidden
from core.services.ports.affiliate_stats import WeekFigures

AFFILIATE_STATS = web.AppKey("affiliate_stats", AffiliateStatsService)
STARS = "XTR"


def plain(value: Decimal) -> str:
    """An exact decimal string without the stored trailing zeros or an exponent: 500, 9.99, 0."""
    return format(value.normalize(), "f")


def _sums(sums: dict[str, Decimal]) -> dict[str, str]:
    return {currency: plain(value) for currency, value in sorted(sums.items())}


def week_json(figures: WeekFigures) -> dict[str, Any]:
    commission = {
        status.value: _sums({cur: v for (of, cur), v in figures.commission.items() if of is status})
        for status in LineStatus
    }
    return {
        "week": iso_week(figures.week),
        "week_start": figures.week.isoformat(),
        "signups": figures.signups,
        "referred_signups": figures.referred_signups,
        "paying": figures.paying,
        "stars_revenue": plain(figures.revenue.get(STARS, Decimal(0))),
        "external_revenue": _sums({c: v for c, v in figures.revenue.items() if c != STARS}),
        "commission": commission,
        "open_fraud_cases": figures.open_fraud_cases,
    }


def summary_json(summary: Summary) -> dict[str, Any]:
    return {
        "generated_at": encode_time(summary.generated_at),
        "weeks": [week_json(figures) for figures in summary.weeks],
    }


async def affiliates_summary(request: web.Request) -> web.Response:
    claims = await require_operator(request)
    try:
        summary = await request.app[AFFILIATE_STATS].for_operator(str(claims.get("role")))
    except Forbidden as error:
        raise HttpError(403, "forbidden", str(error)) from None
    return json_response(summary_json(summary))


def add_affiliate_routes(app: web.Application, stats: AffiliateStatsService) -> None:
    app[AFFILIATE_STATS] = stats
    app.router.add_get("/v1/affiliates/summary", affiliates_summary)
