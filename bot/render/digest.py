"""The admins' digest: one summary, however many accounts were liquidated or went silent in the window;
a line per event (the first DIGEST_LINES of them), each drawn by the renderer of its item's type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.i18n import Raw, Translator
from bot.render.common import money
from bot.render.values import Renderer, Values, fast_move
from core.domain.alerts import (
    AdminDigest,
    AlertBody,
    DigestItem,
    FastMarketSeen,
    LiquidationDone,
    LiquidationStarted,
    MarketGuardFired,
    WentSilent,
)

DIGEST_LINES = 30
COUNTED: dict[str, type[DigestItem]] = {  # fast markets are listed, not counted
    "started": LiquidationStarted,
    "completed": LiquidationDone,
    "stale": WentSilent,
    "market": MarketGuardFired,
}


def _started(t: Translator, item: LiquidationStarted) -> str:
    reason = Raw(t(f"reason.{item.reason.value}"))
    return t("alert.digest_started", login=item.login, server=item.server, reason=reason)


def _completed(t: Translator, item: LiquidationDone) -> str:
    realised = money(t, item.realised, item.currency or None)
    return t("alert.digest_completed", login=item.login, server=item.server, realised=realised)


def _stale(t: Translator, item: WentSilent) -> str:
    contact = t.moment(item.last_contact)
    return t("alert.digest_stale", login=item.login, server=item.server, contact=contact)


def _market(t: Translator, item: MarketGuardFired) -> str:
    what = Raw(t(f"market.kind_{item.kind.value}"))
    return t(
        "alert.digest_market",
        login=item.login,
        server=item.server,
        symbol=item.symbol,
        what=what,
        closed=item.closed,
    )


def _fast_market(t: Translator, item: FastMarketSeen) -> str:
    move = fast_move(t, item.from_percent, item.to_percent, item.seconds)
    return t("alert.digest_fast_market", login=item.login, server=item.server, **move)


ITEM_LINES: dict[type[DigestItem], Callable[[Translator, Any], str]] = {
    LiquidationStarted: _started,
    LiquidationDone: _completed,
    WentSilent: _stale,
    MarketGuardFired: _market,
    FastMarketSeen: _fast_market,
}


def _digest(t: Translator, digest: AdminDigest) -> Values:
    items = digest.items
    counts: Values = {
        name: Raw(t.plural(f"digest.{name}", sum(1 for item in items if isinstance(item, kind))))
        for name, kind in COUNTED.items()
    }
    lines = [ITEM_LINES[type(item)](t, item) for item in items[:DIGEST_LINES]]
    if len(items) > DIGEST_LINES:
        lines.append(t.plural("alert.digest_more", len(items) - DIGEST_LINES))
    return {**counts, "lines": Raw("".join("\n" + line for line in lines))}


DIGEST_RENDERERS: dict[type[AlertBody], Renderer] = {AdminDigest: _digest}
