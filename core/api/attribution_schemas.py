"""The operator API's attribution answer: decimals as strings, times ISO 8601 Z (core.domain.codec)."""

from __future__ import annotations

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
        "pnl": str(split.pnl),
        "trades": [_trade(trade) for trade in split.trades],
    }


def _summary(summary: ClassSummary) -> dict[str, Any]:
    rate, slippage = summary.win_rate_percent, summary.average_slippage
    return {
        "count": summary.count,
        "wins": summary.wins,
        "pnl": str(summary.pnl),
        "win_rate_percent": None if rate is None else str(rate.quantize(PERCENT_PLACES)),
        "average_slippage": None if slippage is None else str(slippage.quantize(PRICE_PLACES)),
    }


def _trade(trade: ClosedTrade) -> dict[str, Any]:
    shown = to_json(trade)
    assert isinstance(shown, dict)
    if trade.slippage is not None:
        shown["slippage"] = str(trade.slippage.quantize(PRICE_PLACES))
    return shown | {"pnl": str(trade.pnl)}
