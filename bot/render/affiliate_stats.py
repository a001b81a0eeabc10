"""/stats: the affiliate programme's last twelve ISO weeks as text, and as a PNG chart (matplotlib's Agg
through its object API, like bot/render/chart.py; call `render_stats_png_async` from async code).
Counts and Stars stay ints and Decimals up to here; they become floats only as bar heights."""

from __future__ import annotations

import asyncio
import io
from decimal import Decimal

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.i18n import STARS, Translator
from core.domain.affiliates import LineStatus
from core.services.affiliate_stats import Summary, iso_week
from core.services.ports.affiliate_stats import Commission, WeekFigures

WIDTH_PX, HEIGHT_PX, DPI = 1200, 675, 100
SIGNUP_COLOUR, REFERRED_COLOUR, PAYING_COLOUR, STARS_COLOUR = "#90caf9", "#1565c0", "#2e7d32", "#f9a825"
NONE = "—"


def _sums(t: Translator, sums: dict[str, Decimal]) -> str:
    return ", ".join(t.money(sums[currency], currency) for currency in sorted(sums)) or NONE


def _status(t: Translator, commission: Commission, status: LineStatus) -> str:
    return _sums(t, {currency: value for (of, currency), value in commission.items() if of is status})


def week_line(t: Translator, figures: WeekFigures) -> str:
    external = {currency: value for currency, value in figures.revenue.items() if currency != STARS}
    return t(
        "stats.week",
        week=iso_week(figures.week),
        signups=figures.signups,
        referred=figures.referred_signups,
        paying=figures.paying,
        stars=t.money(figures.revenue.get(STARS, Decimal(0)), STARS),
        external=_sums(t, external),
        pending=_status(t, figures.commission, LineStatus.PENDING),
        payable=_status(t, figures.commission, LineStatus.PAYABLE),
        paid=_status(t, figures.commission, LineStatus.PAID),
        fraud=figures.open_fraud_cases,
    )


def render_stats(t: Translator, summary: Summary) -> str:
    lines = [t("stats.title", weeks=len(summary.weeks)), t("stats.legend")]
    lines += [week_line(t, figures) for figures in reversed(summary.weeks)]  # the latest first
    return "\n".join(lines)


def stats_caption(t: Translator, summary: Summary) -> str:
    first, last = summary.weeks[0].week, summary.weeks[-1].week
    return t("stats.caption", first=iso_week(first), last=iso_week(last))


def render_stats_png(summary: Summary, *, t: Translator) -> bytes:
    """Two panels over the weeks: signups (all, referred) and paying traders; Stars revenue, net."""
    labels = [iso_week(figures.week) for figures in summary.weeks]
    xs = list(range(len(labels)))
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    people, stars = figure.subplots(2, 1, sharex=True)
    width = 0.27
    series = (
        ([f.signups for f in summary.weeks], SIGNUP_COLOUR, t("stats.chart_signups"), -width),
        ([f.referred_signups for f in summary.weeks], REFERRED_COLOUR, t("stats.chart_referred"), 0),
        ([f.paying for f in summary.weeks], PAYING_COLOUR, t("stats.chart_paying"), width),
    )
    for values, colour, label, shift in series:
        people.bar([x + shift for x in xs], values, width, color=colour, label=label)
    people.legend(loc="upper left")
    people.grid(True, axis="y", alpha=0.3)
    revenue = [float(f.revenue.get(STARS, Decimal(0))) for f in summary.weeks]
    stars.bar(xs, revenue, 0.6, color=STARS_COLOUR, label=t("stats.chart_stars"))
    stars.legend(loc="upper left")
    stars.grid(True, axis="y", alpha=0.3)
    stars.set_xticks(xs, labels, rotation=45, ha="right")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


async def render_stats_png_async(summary: Summary, *, t: Translator) -> bytes:
    return await asyncio.to_thread(render_stats_png, summary, t=t)
