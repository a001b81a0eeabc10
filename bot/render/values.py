"""What the alert renderers share: an alert renderer turns one typed alert into the values its message
names (locale-formatted text; Raw for fragments that are already HTML)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from bot.i18n import Raw, Translator
from bot.render.common import money
from core.domain.alerts import AccountAlert

Values = dict[str, object]
Renderer = Callable[[Translator, Any], Values]  # its alert type is its key in the dispatch table


def about(alert: AccountAlert) -> Values:
    """Which account: every message about one names it."""
    return {"login": alert.login, "server": alert.server}


def account_money(t: Translator, alert: AccountAlert, value: Decimal | None) -> str:
    return money(t, value, alert.currency or None)


def seconds(t: Translator, count: int) -> Raw:
    return Raw(t.plural("unit.seconds", count))


def fast_move(t: Translator, from_percent: Decimal, to_percent: Decimal, count: int) -> Values:
    return {
        "from_percent": t.percent(from_percent),
        "to_percent": t.percent(to_percent),
        "seconds": seconds(t, count),
    }
