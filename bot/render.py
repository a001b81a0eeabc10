"""Pure rendering: a view and a locale in, Telegram HTML out. Tested without an Application."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.i18n import Raw, Translator
from core.domain.models import AccountView, LinkedAccount
from core.services.admin import AccountDetail
from core.services.linking import LinkResult

TELEGRAM_LIMIT = 4096
SAFE_LIMIT = 4000


def split_message(text: str, limit: int = SAFE_LIMIT) -> list[str]:
    """Split on line boundaries under Telegram's 4,096 limit, which counts UTF-16 code units (an emoji
    is two); a single over-long line is cut. The parts keep the text's order."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if _utf16_units(candidate) > limit:
            if current:
                parts.append(current)
            *whole, candidate = _cut(line, limit)
            parts.extend(whole)
        current = candidate
    if current:
        parts.append(current)
    return parts


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut(line: str, limit: int) -> list[str]:
    """`line` in pieces of at most `limit` UTF-16 code units, never splitting a character."""
    pieces: list[str] = []
    start = size = 0
    for index, char in enumerate(line):
        width = 2 if ord(char) > 0xFFFF else 1
        if size + width > limit:
            pieces.append(line[start:index])
            start, size = index, 0
        size += width
    pieces.append(line[start:])
    return pieces


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
            equity=_money(t, view.equity, view.currency),
            peak=_money(t, view.peak_equity, view.currency),
            drawdown=t.percent(view.drawdown_percent or Decimal(0)),
            limit=t.percent(effective_limit(view, max_drawdown)),
            positions=len(view.positions),
            pending=detail.pending_commands,
            contact=t.ago(view.last_snapshot_at - now),
        )
        + shared
    )


def render_accounts_all(t: Translator, views: list[AccountView], status: str | None) -> str:
    if not views:
        return t("admin.accounts_none")
    lines = [t("admin.accounts_header", count=len(views), filter=status or "*")]
    for view in views:
        line = t(
            "admin.accounts_line",
            login=view.login,
            server=view.server,
            state=Raw(guard_state(t, view)) if view.has_data else "—",
            equity=_money(t, view.equity, view.currency),
            drawdown=t.percent(view.drawdown_percent or Decimal(0)),
        )
        lines.append(f"{line} {t('admin.shared_mark')}" if view.shared else line)
    return "\n".join(lines)


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


def _account_money(t: Translator, params: dict[str, Any], name: str) -> str:
    return _money(t, Decimal(params[name]), params.get("currency") or None)


def _moment(t: Translator, iso: str) -> str:
    return t.moment(datetime.fromisoformat(iso))


def _closed_lines(t: Translator, params: dict[str, Any]) -> str:
    lines = [
        t(
            "alert.closed_line",
            ticket=c["ticket"],
            volume=t.number(Decimal(c.get("closed_volume") or 0)),
            price=t.price(Decimal(c["price"])) if c.get("price") is not None else "—",
            profit=_money(t, Decimal(c.get("profit") or 0), params.get("currency") or None),
        )
        for c in params["closed"]
    ]
    return "\n".join(lines) if lines else t("alert.closed_none")


def _alert_values(t: Translator, kind: str, params: dict[str, Any]) -> dict[str, object]:
    """The formatted values each alert's message uses (raw values in, locale-formatted text out)."""
    if kind == "broadcast":  # about no account: it carries its text only
        return {"text": params["text"]}
    if kind in HALT_KINDS:  # about every account alike: the halt's times only
        return {name: _moment(t, params[name]) for name in ("since", "until") if name in params}
    values: dict[str, object] = {"login": params["login"], "server": params["server"]}
    if kind == "account_connected":
        values |= {
            "equity": _account_money(t, params, "equity"),
            "balance": _account_money(t, params, "balance"),
        }
    elif kind == "drawdown_warning":
        values |= {
            "level": t.percent(Decimal(params["level"])),
            "drawdown": t.percent(Decimal(params["drawdown_percent"])),
            "equity": _account_money(t, params, "equity"),
            "peak": _account_money(t, params, "peak_equity"),
        }
    elif kind == "liquidation_warning":
        values |= {
            "reason": Raw(t("reason." + params["reason"])),
            "drawdown": t.percent(Decimal(params["drawdown_percent"])),
            "equity": _account_money(t, params, "equity"),
            "seconds": params["grace_seconds"],
        }
    elif kind == "liquidation_retrying":
        values |= {"attempt": params["attempt"], "at": _moment(t, params["next_retry_at"])}
    elif kind == "liquidated":
        values |= {"closed": Raw(_closed_lines(t, params)), "realised": _account_money(t, params, "realised")}
    elif kind == "admin_liquidation_overdue":
        tickets = ", ".join(f"#{ticket}" for ticket in params["open_tickets"]) or "—"
        values |= {"tickets": tickets, "contact": _moment(t, params["last_contact"])}
    elif kind == "admin_breach_offline":
        values |= {
            "reason": Raw(t("reason." + params["reason"])),
            "contact": _moment(t, params["last_contact"]),
        }
    elif kind in ("feed_stale", "feed_restored"):
        values |= {"contact": _moment(t, params["last_contact"])}
    elif kind == "liquidation_now":
        values |= {
            "cause": Raw(_grace_cut(t, params)),
            "drawdown": t.percent(Decimal(params["drawdown_percent"])),
            "equity": _account_money(t, params, "equity"),
        }
    elif kind == "fast_market":
        values |= _fast_move(t, params)
    elif kind.startswith("market_"):
        values |= _market_values(t, kind, params)
    elif kind == "trading_day_unknown":
        values |= {
            "day": params["day"],
            "balance": _account_money(t, params, "day_open_balance"),
            "contact": _moment(t, params["last_contact"]),
        }
    return values


def _market_values(t: Translator, kind: str, params: dict[str, Any]) -> dict[str, object]:
    """A market guard's alert: the symbol, the size of the move or the spread, and what was done."""
    tickets = ", ".join(f"#{ticket}" for ticket in params.get("closed_tickets", []))
    done = t("market.done_" + params["action"], symbol=params["symbol"], tickets=tickets or "—")
    values: dict[str, object] = {"symbol": params["symbol"], "done": Raw(done)}
    if kind == "market_gap":
        values |= {
            "move": t.percent(Decimal(params["move_percent"]).copy_abs()),
            "direction": Raw(t("market.direction_" + params["direction"])),
            "before": t.price(Decimal(params["previous_bid"])),
            "after": t.price(Decimal(params["bid"])),
        }
    elif kind == "market_spread":
        values |= {
            "spread": t.price(Decimal(params["spread"])),
            "usual": t.price(Decimal(params["usual_spread"])),
            "multiple": t.number(Decimal(params["multiple"]).quantize(Decimal("0.1"))),
        }
    else:
        values["since"] = _moment(t, params["unchanged_since"])
    return values


def _grace_cut(t: Translator, params: dict[str, Any]) -> str:
    """Why the grace was skipped (GraceCut), in the recipient's language."""
    return t(
        "grace_cut." + params["cause"],
        from_percent=t.percent(Decimal(params["from_percent"])),
        to_percent=t.percent(Decimal(params["drawdown_percent"])),
        symbols=", ".join(params.get("symbols") or ()),
    )


def _fast_move(t: Translator, params: dict[str, Any]) -> dict[str, object]:
    return {
        "from_percent": t.percent(Decimal(params["from_percent"])),
        "to_percent": t.percent(Decimal(params["to_percent"])),
        "seconds": params["seconds"],
    }


DIGEST_LINES = 30
HALT_KINDS = ("trading_halted", "trading_resumed")  # core.services.halt


def _digest_line(t: Translator, item: dict[str, Any]) -> str:
    if item["event"] == "started":
        return t(
            "alert.digest_started",
            login=item["login"],
            server=item["server"],
            reason=Raw(t("reason." + item["reason"])),
        )
    if item["event"] == "stale":
        contact = _moment(t, item["last_contact"])
        return t("alert.digest_stale", login=item["login"], server=item["server"], contact=contact)
    if item["event"] == "market":
        what = Raw(t("market.kind_" + item["kind"]))
        return t(
            "alert.digest_market",
            login=item["login"],
            server=item["server"],
            symbol=item["symbol"],
            what=what,
            closed=item["closed"],
        )
    if item["event"] == "fast_market":
        fast = _fast_move(t, item)
        return t("alert.digest_fast_market", login=item["login"], server=item["server"], **fast)
    realised = _money(t, Decimal(item["realised"]), item.get("currency") or None)
    return t("alert.digest_completed", login=item["login"], server=item["server"], realised=realised)


def render_digest(t: Translator, params: dict[str, Any]) -> str:
    """One summary for admins, however many accounts were liquidated or went silent in the window."""
    items = params["items"]
    counts = {
        event: sum(1 for item in items if item["event"] == event)
        for event in ("started", "completed", "stale", "market")
    }
    lines = [t("alert.admin_liquidation_digest", **counts)]
    lines += [_digest_line(t, item) for item in items[:DIGEST_LINES]]
    if len(items) > DIGEST_LINES:
        lines.append(t("alert.digest_more", count=len(items) - DIGEST_LINES))
    return "\n".join(lines)


ALERT_KINDS = (
    "account_connected", "drawdown_warning", "liquidation_warning", "liquidation_retrying", "liquidated",
    "admin_liquidation_digest", "admin_liquidation_overdue", "admin_breach_offline", "feed_stale",
    "feed_restored", "trading_locked", "trading_unlocked", "broadcast", "account_shared",
    "market_gap", "market_spread", "market_stale",
    *HALT_KINDS,
    "liquidation_now", "fast_market",
    "trading_day_unknown",
)  # fmt: skip


def render_alert(t: Translator, kind: str, params: dict[str, Any]) -> str:
    """Alerts carry raw values; numbers, money and times are formatted here, in the recipient's language."""
    if kind not in ALERT_KINDS:
        raise ValueError(f"no renderer for alert kind {kind!r}")
    if kind == "admin_liquidation_digest":
        return render_digest(t, params)
    key = "alert." + kind
    if kind == "liquidation_warning" and not params["grace_seconds"]:
        key = "alert.liquidation_warning_now"  # no grace (the default, or cut short): not "in 0 s"
    return t(key, **_alert_values(t, kind, params))
