"""/positions: one line per open position, under a header that counts them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.i18n import Raw, Translator
from bot.render.common import money
from core.domain.models import AccountView


def render_positions(t: Translator, view: AccountView) -> str:
    if not view.has_data:
        return t("status.no_data", login=view.login, server=view.server)
    if not view.positions:
        return t("positions.none", login=view.login)
    lines = [t.plural("positions.header", len(view.positions), login=view.login)]
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
        profit=money(t, Decimal(p["profit"]), currency),
    )
