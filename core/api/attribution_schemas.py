"""The operator API's attribution answer: decimals as exact strings without the stored trailing zeros,
times ISO 8601 Z (core.domain.codec)."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal
from typing import Any

from core.domain.attribution import ClassSummary, ClosedTrade
from core.domain.codec import to_json
from core.services.attribution import AccountAttribution, UserAttribution

PERCENT_PLACES = Decimal("0.01")
PRICE_PLACES = Decimal("0.00000001")  # BRIDGE.md: decimals carry at most 8 places


def attribution_json(found: UserAttribution) -> dict[str, Any]:
    return {
        "telegram_id": found.telegram_id,
        "days": found.days,
        "accounts": [_account(account) for account in found.accounts],
    }


def _account(account: AccountAttribution) -> dict[str, Any]:
    split = account.attribution
    return {
        "login": account.login,
        "server": account.server,
        "currency": account.currency,
        "bot": _summary(split.bot),
        "manual": _summary(split.manual),
        "pnl": decimal_text(split.pnl),
        "trades": [_trade(trade) for trade in split.trades],
    }


def _summary(summary: ClassSummary) -> dict[str, Any]:
    rate, slippage = summary.win_rate_percent, summary.average_slippage
    return {
        "count": summary.count,
        "wins": summary.wins,
        "pnl": decimal_text(summary.pnl),
        "win_rate_percent": None if rate is None else str(rate.quantize(PERCENT_PLACES)),
        "average_slippage": _places(slippage, PRICE_PLACES),
    }


def _trade(trade: ClosedTrade) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for field in fields(trade):
        value = getattr(trade, field.name)
        shown[field.name] = decimal_text(value) if isinstance(value, Decimal) else to_json(value)
    return shown | {"slippage": _places(trade.slippage, PRICE_PLACES), "pnl": decimal_text(trade.pnl)}


def decimal_text(value: Decimal) -> str:
    """Exact, without the trailing zeros of the stored NUMERIC(24, 8): "13", not "13.00000000"."""
    return format(value.normalize(), "f")


def _places(value: Decimal | None, places: Decimal) -> str | None:
    return None if value is None else decimal_text(value.quantize(places))
