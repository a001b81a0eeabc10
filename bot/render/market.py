"""The market guards' alerts: the symbol, the size of the move or the spread, and what was done."""

from __future__ import annotations

from decimal import Decimal

from bot.i18n import Raw, Translator
from bot.render.common import tickets
from bot.render.values import Renderer, Values, about
from core.domain.alerts import AlertBody, MarketAlert, MarketGap, MarketSpread, MarketStale


def _market(t: Translator, alert: MarketAlert) -> Values:
    done = t(f"market.done_{alert.action.value}", symbol=alert.symbol, tickets=tickets(alert.closed_tickets))
    return {**about(alert), "symbol": alert.symbol, "done": Raw(done)}


def _gap(t: Translator, alert: MarketGap) -> Values:
    return {
        **_market(t, alert),
        "move": t.percent(alert.move_percent.copy_abs()),
        "direction": Raw(t(f"market.direction_{alert.direction.value}")),
        "before": t.price(alert.previous_bid),
        "after": t.price(alert.bid),
    }


def _spread(t: Translator, alert: MarketSpread) -> Values:
    return {
        **_market(t, alert),
        "spread": t.price(alert.spread),
        "usual": t.price(alert.usual_spread),
        "multiple": t.number(alert.multiple.quantize(Decimal("0.1"))),
    }


def _stale(t: Translator, alert: MarketStale) -> Values:
    return {**_market(t, alert), "since": t.moment(alert.unchanged_since)}


MARKET_RENDERERS: dict[type[AlertBody], Renderer] = {
    MarketGap: _gap,
    MarketSpread: _spread,
    MarketStale: _stale,
}
