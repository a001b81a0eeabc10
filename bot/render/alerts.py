"""Alerts carry typed values; numbers, money and times are formatted here, in the recipient's language.

Each alert type has one renderer (the table RENDERERS, type → function) that gives the values its
message names; the message is the one the type is registered with (core.domain.alerts.REGISTRY)."""

from __future__ import annotations

from decimal import Decimal

from bot.i18n import Raw, Translator
from bot.render.audit import AUDIT_RENDERERS  # issue 13
from bot.render.common import tickets
from bot.render.digest import DIGEST_RENDERERS
from bot.render.fraud import FRAUD_RENDERERS  # issue 11
from bot.render.market import MARKET_RENDERERS
from bot.render.payouts import PAYOUT_RENDERERS
from bot.render.reconciliation import RECONCILIATION_RENDERERS
from bot.render.referral import REFERRAL_RENDERERS  # issue 11
from bot.render.signals import SIGNAL_RENDERERS
from bot.render.system import SYSTEM_RENDERERS  # issue 13: monitoring
from bot.render.values import Renderer, Values, about, account_money, fast_move
from core.domain.alerts import (
    AccountAlert,
    AccountConnected,
    AccountShared,
    AlertBody,
    BreachOffline,
    DrawdownWarning,
    FastMarket,
    FeedRestored,
    FeedStale,
    HaltEnded,
    HaltStarted,
    Liquidated,
    LiquidationNow,
    LiquidationOverdue,
    LiquidationRetrying,
    LiquidationWarning,
    TradingDayUnknown,
    TradingLocked,
    TradingUnlocked,
    spec_of,
)


def render_alert(t: Translator, alert: AlertBody) -> str:
    """Raises UnknownAlert (a LookupError) for a type that is not registered or has no renderer."""
    spec = spec_of(alert)
    renderer = RENDERERS.get(type(alert))
    if renderer is None:
        raise LookupError(f"no renderer for alert kind {spec.kind!r}")
    return t(spec.message_id, **renderer(t, alert))


def alert_values(t: Translator, alert: AlertBody) -> Values:
    """The values `alert`'s message may name (what its renderer provides)."""
    return RENDERERS[type(alert)](t, alert)


def _account(t: Translator, alert: AccountAlert) -> Values:
    return about(alert)


def _shared(t: Translator, alert: AccountShared) -> Values:
    return {"login": alert.login, "server": alert.server}


def _connected(t: Translator, alert: AccountConnected) -> Values:
    return {
        **about(alert),
        "equity": account_money(t, alert, alert.equity),
        "balance": account_money(t, alert, alert.balance),
    }


def _feed(t: Translator, alert: FeedStale | FeedRestored) -> Values:
    return {**about(alert), "contact": t.moment(alert.last_contact)}


def _day_unknown(t: Translator, alert: TradingDayUnknown) -> Values:
    return {
        **about(alert),
        "day": alert.day,
        "balance": account_money(t, alert, alert.day_open_balance),
        "contact": t.moment(alert.last_contact),
    }


def _drawdown_warning(t: Translator, alert: DrawdownWarning) -> Values:
    return {
        **about(alert),
        "level": t.percent(alert.level),
        "drawdown": t.percent(alert.drawdown_percent),
        "equity": account_money(t, alert, alert.equity),
        "peak": account_money(t, alert, alert.peak_equity),
    }


def _liquidation_warning(t: Translator, alert: LiquidationWarning) -> Values:
    """No grace (the default, or cut short) reads "being closed now", not "in 0 seconds"."""
    closing = (
        t.plural("alert.liquidation_closes_in", alert.grace_seconds)
        if alert.grace_seconds
        else t("alert.liquidation_closes_now")
    )
    return {
        **about(alert),
        "reason": Raw(t(f"reason.{alert.reason.value}")),
        "drawdown": t.percent(alert.drawdown_percent),
        "equity": account_money(t, alert, alert.equity),
        "closing": Raw(closing),
    }


def _liquidation_now(t: Translator, alert: LiquidationNow) -> Values:
    """Why the grace was skipped (GraceCut), in the recipient's language."""
    cause = t(
        f"grace_cut.{alert.cause.value}",
        from_percent=t.percent(alert.from_percent),
        to_percent=t.percent(alert.drawdown_percent),
        symbols=", ".join(alert.symbols),
    )
    return {
        **about(alert),
        "cause": Raw(cause),
        "drawdown": t.percent(alert.drawdown_percent),
        "equity": account_money(t, alert, alert.equity),
    }


def _fast_market(t: Translator, alert: FastMarket) -> Values:
    return {**about(alert), **fast_move(t, alert.from_percent, alert.to_percent, alert.seconds)}


def _retrying(t: Translator, alert: LiquidationRetrying) -> Values:
    attempts = Raw(t.plural("alert.attempts", alert.attempt))
    return {**about(alert), "attempts": attempts, "at": t.moment(alert.next_retry_at)}


def _liquidated(t: Translator, alert: Liquidated) -> Values:
    lines = [
        t(
            "alert.closed_line",
            ticket=position.ticket,
            volume=t.number(position.closed_volume),
            price=t.price(position.price) if position.price is not None else "—",
            profit=account_money(t, alert, position.profit or Decimal(0)),
        )
        for position in alert.closed
    ]
    closed = "\n".join(lines) if lines else t("alert.closed_none")
    return {**about(alert), "closed": Raw(closed), "realised": account_money(t, alert, alert.realised)}


def _overdue(t: Translator, alert: LiquidationOverdue) -> Values:
    return {**about(alert), "tickets": tickets(alert.open_tickets), "contact": t.moment(alert.last_contact)}


def _offline(t: Translator, alert: BreachOffline) -> Values:
    reason = Raw(t(f"reason.{alert.reason.value}"))
    return {**about(alert), "reason": reason, "contact": t.moment(alert.last_contact)}


def _halted(t: Translator, alert: HaltStarted) -> Values:
    """About every account alike: the halt's times only."""
    return {"since": t.moment(alert.since)}


def _resumed(t: Translator, alert: HaltEnded) -> Values:
    return {"since": t.moment(alert.since), "until": t.moment(alert.until)}


RENDERERS: dict[type[AlertBody], Renderer] = {
    AccountConnected: _connected,
    AccountShared: _shared,
    FeedStale: _feed,
    FeedRestored: _feed,
    TradingLocked: _account,
    TradingUnlocked: _account,
    TradingDayUnknown: _day_unknown,
    DrawdownWarning: _drawdown_warning,
    LiquidationWarning: _liquidation_warning,
    LiquidationNow: _liquidation_now,
    FastMarket: _fast_market,
    LiquidationRetrying: _retrying,
    Liquidated: _liquidated,
    LiquidationOverdue: _overdue,
    BreachOffline: _offline,
    HaltStarted: _halted,
    HaltEnded: _resumed,
    **MARKET_RENDERERS,
    **DIGEST_RENDERERS,
    **SIGNAL_RENDERERS,
    **RECONCILIATION_RENDERERS,
    **FRAUD_RENDERERS,
    **PAYOUT_RENDERERS,  # issue 11: the ledger and payouts
    **REFERRAL_RENDERERS,
    **SYSTEM_RENDERERS,  # issue 13: system degraded / recovered
    **AUDIT_RENDERERS,  # issue 13: the daily anchor
}
