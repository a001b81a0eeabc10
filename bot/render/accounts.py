"""/link, /accounts and /accounts_all: linked accounts, listed."""

from __future__ import annotations

from decimal import Decimal

from bot.i18n import Raw, Translator
from bot.render.common import money
from bot.render.status import guard_state
from core.domain.models import AccountView, LinkedAccount
from core.services.linking import LinkResult


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


def render_accounts_all(t: Translator, views: list[AccountView], status: str | None) -> str:
    if not views:
        return t("admin.accounts_none")
    lines = [t.plural("admin.accounts_header", len(views), filter=status or "*")]
    for view in views:
        line = t(
            "admin.accounts_line",
            login=view.login,
            server=view.server,
            state=Raw(guard_state(t, view)) if view.has_data else "—",
            equity=money(t, view.equity, view.currency),
            drawdown=t.percent(view.drawdown_percent or Decimal(0)),
        )
        lines.append(f"{line} {t('admin.shared_mark')}" if view.shared else line)
    return "\n".join(lines)
