"""/status and /account: one account's card, as its trader and as an admin see it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from bot.i18n import Raw, Translator
from bot.render.common import money
from core.domain.models import AccountView
from core.services.admin import AccountDetail


def drawdown_bar(drawdown: Decimal, limit: Decimal, width: int = 10) -> str:
    filled = min(width, int(drawdown / limit * width)) if limit > 0 else width
    return "█" * filled + "░" * (width - filled)


def guard_state(t: Translator, view: AccountView) -> str:
    """The guard's state as the trader should read it; stale trumps everything (unknown is not flat)."""
    if view.guard_stale:
        return t("state.stale")
    text = t("state." + (view.guard_status or "normal"))
    if view.locked and view.guard_status != "liquidated":
        text += " · " + t("state.locked")
    return text


def effective_limit(view: AccountView, service_limit: Decimal) -> Decimal:
    personal = view.personal_limit
    return personal if personal is not None and personal < service_limit else service_limit


def render_status(t: Translator, view: AccountView, now: datetime, max_drawdown: Decimal) -> str:
    if not view.has_data or view.last_snapshot_at is None:
        return t("status.no_data", login=view.login, server=view.server)
    drawdown = view.drawdown_percent or Decimal(0)
    margin_level = view.margin_level_percent
    max_drawdown = effective_limit(view, max_drawdown)
    return t(
        "status.card",
        state=Raw(guard_state(t, view)),
        login=view.login,
        server=view.server,
        equity=money(t, view.equity, view.currency),
        balance=money(t, view.balance, view.currency),
        floating=money(t, view.floating_pnl, view.currency),
        peak=money(t, view.peak_equity, view.currency),
        drawdown=t.percent(drawdown),
        limit=t.percent(max_drawdown),
        bar=drawdown_bar(drawdown, max_drawdown),
        margin_level=t.percent(margin_level) if margin_level is not None else "—",
        age=t.ago(view.last_snapshot_at - now),
    )


def render_account_detail(t: Translator, detail: AccountDetail, now: datetime, max_drawdown: Decimal) -> str:
    view = detail.view
    shared = "\n" + t("admin.shared_flag", owner=view.owner_telegram_id) if view.shared else ""
    if not view.has_data or view.last_snapshot_at is None:
        return t("status.no_data", login=view.login, server=view.server) + shared
    guard = detail.guard or {}
    breach = guard.get("breach_reason")
    return (
        t(
            "admin.account_detail",
            login=view.login,
            server=view.server,
            state=Raw(guard_state(t, view)),
            breach=Raw(t("reason." + breach)) if breach else "—",
            equity=money(t, view.equity, view.currency),
            peak=money(t, view.peak_equity, view.currency),
            drawdown=t.percent(view.drawdown_percent or Decimal(0)),
            limit=t.percent(effective_limit(view, max_drawdown)),
            positions=len(view.positions),
            pending=detail.pending_commands,
            contact=t.ago(view.last_snapshot_at - now),
        )
        + shared
    )
