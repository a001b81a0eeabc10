"""Pure rendering: a view and a locale in, Telegram HTML out. Tested without an Application."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.i18n import Raw, Translator
from core.domain.models import AccountView, LinkedAccount
from core.services.linking import LinkResult

TELEGRAM_LIMIT = 4096
SAFE_LIMIT = 4000


def split_message(text: str, limit: int = SAFE_LIMIT) -> list[str]:
    """Split on line boundaries under Telegram's 4,096 limit (a single over-long line is cut)."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            candidate = line
        current = candidate
    if current:
        parts.append(current)
    return parts


def drawdown_bar(drawdown: Decimal, limit: Decimal, width: int = 10) -> str:
    filled = min(width, int(drawdown / limit * width)) if limit > 0 else width
    return "█" * filled + "░" * (width - filled)


def _money(t: Translator, value: Decimal | None, currency: str | None) -> str:
    if value is None:
        return "—"
    return t.money(value, currency) if currency else t.number(value)


def render_link(t: Translator, result: LinkResult, bridge_url: str) -> str:
    key = "link.rotated" if result.rotated else "link.created"
    return t(
        key,
        device_id=result.device_id,
        secret=result.secret_hex,
        login=result.login,
        server=result.server,
        url=bridge_url,
    )


def render_accounts(t: Translator, accounts: list[LinkedAccount]) -> str:
    if not accounts:
        return t("accounts.none")
    lines = [t("accounts.header")]
    lines += [t("accounts.line", login=a.login, server=a.server) for a in accounts]
    return "\n".join(lines)


def render_status(t: Translator, view: AccountView, now: datetime, max_drawdown: Decimal) -> str:
    if not view.has_data or view.last_snapshot_at is None:
        return t("status.no_data", login=view.login, server=view.server)
    drawdown = view.drawdown_percent or Decimal(0)
    margin_level = view.margin_level_percent
    return t(
        "status.card",
        login=view.login,
        server=view.server,
        equity=_money(t, view.equity, view.currency),
        balance=_money(t, view.balance, view.currency),
        floating=_money(t, view.floating_pnl, view.currency),
        peak=_money(t, view.peak_equity, view.currency),
        drawdown=t.percent(drawdown),
        limit=t.percent(max_drawdown),
        bar=drawdown_bar(drawdown, max_drawdown),
        margin_level=t.percent(margin_level) if margin_level is not None else "—",
        age=t.ago(view.last_snapshot_at - now),
    )


def render_positions(t: Translator, view: AccountView) -> str:
    if not view.has_data:
        return t("status.no_data", login=view.login, server=view.server)
    if not view.positions:
        return t("positions.none", login=view.login)
    lines = [t("positions.header", login=view.login, count=len(view.positions))]
    lines += [_position_line(t, p, view.currency) for p in view.positions]
    return "\n".join(lines)


def _position_line(t: Translator, p: dict[str, Any], currency: str | None) -> str:
    return t(
        "positions.line",
        ticket=p["ticket"],
        symbol=p["symbol"],
        side=Raw(t("side." + p["side"])),
        volume=t.number(Decimal(p["volume"])),
        open_price=t.price(Decimal(p["open_price"])),
        price=t.price(Decimal(p["price"])),
        profit=_money(t, Decimal(p["profit"]), currency),
    )


def render_alert(t: Translator, kind: str, params: dict[str, Any]) -> str:
    """Alerts carry raw values; numbers are formatted here, in the recipient's language."""
    if kind == "account_connected":
        currency = params["currency"]
        return t(
            "alert.account_connected",
            login=params["login"],
            server=params["server"],
            equity=t.money(Decimal(params["equity"]), currency),
            balance=t.money(Decimal(params["balance"]), currency),
        )
    if kind == "broadcast":
        return t("alert.broadcast", text=params["text"])
    raise ValueError(f"no renderer for alert kind {kind!r}")
