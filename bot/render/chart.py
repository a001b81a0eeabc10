"""The /report picture: the equity curve, the closed trades (bot and manual), drawdown, the guard's limit.

Rendered server-side with matplotlib's Agg backend through its object API (a `Figure` of its own, no
pyplot and no global backend switch), so renders in different threads share no state. Rendering takes
tens of milliseconds of CPU: from async code call `render_report_png_async`, which runs it in a worker
thread (`asyncio.to_thread`) so the event loop keeps serving updates meanwhile.

Amounts are Decimals up to here; they become floats only as coordinates on the picture.
"""

from __future__ import annotations

import asyncio
import bisect
import io
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.i18n import Translator
from core.domain.attribution import ClosedTrade, Origin

WIDTH_PX, HEIGHT_PX, DPI = 1200, 675, 100
EQUITY_COLOUR = "#1a1a1a"
BOT_COLOUR = "#1565c0"
MANUAL_COLOUR = "#ef6c00"
LIMIT_COLOUR = "#c62828"
DRAWDOWN_COLOUR = "#e57373"

EquityPoint = tuple[datetime, Decimal]


def render_report_png(
    points: Sequence[EquityPoint],
    trades: Sequence[ClosedTrade],
    limit_equity: Decimal | None,
    *,
    t: Translator,
) -> bytes:
    """A WIDTH_PX x HEIGHT_PX PNG. `points` are (time, equity) in time order; each trade is marked on the
    curve where it closed; `limit_equity` (the equity at which the guard liquidates now) is drawn as a
    line when given. Labels come from the trader's catalogue (`t`)."""
    if not points:
        raise ValueError("a report picture needs at least one equity point")
    times = [moment for moment, _ in points]
    equity = [float(value) for _, value in points]
    peaks = _running_peaks(equity)

    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.fill_between(times, equity, peaks, color=DRAWDOWN_COLOUR, alpha=0.35, linewidth=0, step="post")
    axes.step(times, equity, where="post", color=EQUITY_COLOUR, linewidth=1.2, label=t("report.chart_equity"))
    for origin, colour, marker, label in (
        (Origin.BOT, BOT_COLOUR, "^", t("report.chart_bot_trades")),
        (Origin.MANUAL, MANUAL_COLOUR, "o", t("report.chart_manual_trades")),
    ):
        marked = [trade for trade in trades if trade.origin is origin]
        if marked:
            xs = [trade.close_time for trade in marked]
            ys = [_equity_at(times, equity, trade.close_time) for trade in marked]
            axes.scatter(xs, ys, s=22, color=colour, marker=marker, zorder=3, label=label)
    if limit_equity is not None:
        axes.axhline(
            float(limit_equity),
            color=LIMIT_COLOUR,
            linestyle="--",
            linewidth=1.5,
            label=t("report.chart_limit"),
        )
    axes.grid(True, alpha=0.3)
    axes.legend(loc="best")
    figure.autofmt_xdate()
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


async def render_report_png_async(
    points: Sequence[EquityPoint],
    trades: Sequence[ClosedTrade],
    limit_equity: Decimal | None,
    *,
    t: Translator,
) -> bytes:
    """`render_report_png` off the event loop."""
    return await asyncio.to_thread(render_report_png, points, trades, limit_equity, t=t)


def _running_peaks(equity: Sequence[float]) -> list[float]:
    peaks: list[float] = []
    for value in equity:
        peaks.append(max(value, peaks[-1]) if peaks else value)
    return peaks


def _equity_at(times: Sequence[datetime], equity: Sequence[float], moment: datetime) -> float:
    """The curve's value at `moment` (the last point at or before it; the first before the curve)."""
    index = bisect.bisect_right(times, moment) - 1
    return equity[max(index, 0)]
