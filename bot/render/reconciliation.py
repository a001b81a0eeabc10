"""Reconciliation in the trader's words: one sentence per divergence (its kind, and how a bot trade was
closed or why its volume differs), used by the alerts and by /reconcile."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from bot.i18n import Raw, Translator
from bot.render.common import money, tickets
from bot.render.values import Renderer, Values, about
from core.domain.alerts import AlertBody, DivergenceAlert, DivergenceCritical, DivergenceFound
from core.domain.reconciliation import Divergence, DivergenceKind, Evidence, Severity
from core.domain.symbols import point_size
from core.services.reconciliation import AccountReconciliation

Kind = DivergenceKind
ICONS = {Severity.CRITICAL: "🚨", Severity.WARNING: "⚠️", Severity.INFO: "ℹ️"}


def _price(t: Translator, value: Decimal | None, symbol: str) -> str:
    """At the symbol's digits (stored prices carry 8 places: 1.08480000 is shown 1.08480), unless the
    price is finer than its point (the average of a fill in pieces)."""
    if value is None:
        return "—"
    at_point = value.quantize(point_size(symbol))
    return t.price(at_point if at_point == value else value)


def _volume(t: Translator, value: Decimal | None) -> str:
    return t.number(value) if value is not None else "—"


def _trade(t: Translator, evidence: Evidence, signal_id: str | None, ticket: int | None) -> Raw:
    signal, symbol = signal_id or "—", evidence.symbol
    if ticket is not None and signal_id is not None:
        return Raw(t("divergence.trade_bot", ticket=ticket, symbol=symbol, signal=signal))
    if ticket is not None:
        return Raw(t("divergence.trade_position", ticket=ticket, symbol=symbol))
    return Raw(t("divergence.trade_signal", signal=signal, symbol=symbol))


def divergence_text(
    t: Translator,
    kind: DivergenceKind,
    evidence: Evidence,
    signal_id: str | None,
    ticket: int | None,
    currency: str = "",
) -> str:
    """The sentence that says what happened, in `t`'s language (HTML, every value escaped)."""
    e = evidence
    trade = _trade(t, e, signal_id, ticket)
    side = Raw(t(f"side.{e.side.value}")) if e.side is not None else "—"
    how = (e.how.value if e.how is not None else "unknown").lower()
    if kind is Kind.NOT_EXECUTED:
        volume = _volume(t, e.expected_volume)
        signal = signal_id or "—"
        return t("divergence.not_executed", signal=signal, side=side, volume=volume, symbol=e.symbol)
    if kind is Kind.MANUAL_POSITION:
        values = {"ticket": ticket if ticket is not None else "—", "side": side, "symbol": e.symbol}
        volume, price = _volume(t, e.actual_volume), _price(t, e.actual_price, e.symbol)
        return t("divergence.manual_position", **values, volume=volume, price=price)
    if kind is Kind.CLOSED_EXTERNALLY:
        return t(f"divergence.closed_{how}", trade=trade, price=_price(t, e.actual_price, e.symbol))
    if kind is Kind.VOLUME_MISMATCH:
        cause = e.cause.value if e.cause is not None else "deals_incomplete"
        return t(
            f"divergence.volume_{cause}",
            trade=trade,
            how=Raw(t(f"divergence.how_{how}")),
            actual=_volume(t, e.actual_volume),
            expected=_volume(t, e.expected_volume),
        )
    if kind is Kind.SLIPPAGE:
        cost = money(t, e.cost, currency or None) if e.cost is not None else t("divergence.cost_unknown")
        return t(
            "divergence.slippage",
            trade=trade,
            actual_price=_price(t, e.actual_price, e.symbol),
            expected_price=_price(t, e.expected_price, e.symbol),
            points=t.number(e.points, 1) if e.points is not None else "—",
            tolerance=t.number(e.tolerance_points, 0) if e.tolerance_points is not None else "—",
            cost=cost,
        )
    if kind is Kind.SL_TP_CHANGED:
        levels = {
            "actual_sl": _price(t, e.actual_sl, e.symbol),
            "actual_tp": _price(t, e.actual_tp, e.symbol),
            "expected_sl": _price(t, e.expected_sl, e.symbol),
            "expected_tp": _price(t, e.expected_tp, e.symbol),
        }
        return t("divergence.sl_tp_changed", trade=trade, **levels)
    return t(
        "divergence.duplicate_execution",
        signal=signal_id or "—",
        volume=_volume(t, e.expected_volume),
        symbol=e.symbol,
        tickets=tickets(e.tickets),
    )


def _what(t: Translator, alert: DivergenceAlert) -> Raw:
    text = divergence_text(t, alert.kind, alert.evidence, alert.signal_id, alert.ticket, alert.currency)
    return Raw(text)


def _found(t: Translator, alert: DivergenceFound) -> Values:
    return {**about(alert), "what": _what(t, alert)}


def _critical(t: Translator, alert: DivergenceCritical) -> Values:
    return {**about(alert), "what": _what(t, alert), "owner": alert.owner_telegram_id}


RECONCILIATION_RENDERERS: dict[type[AlertBody], Renderer] = {
    DivergenceFound: _found,
    DivergenceCritical: _critical,
}


def render_reconciliation(t: Translator, found: AccountReconciliation, currency: str = "") -> str:
    """/reconcile for one account: when it was last checked, and its open divergences, most severe first."""
    lines = [t("reconcile.header", login=found.login, server=found.server)]
    if found.reconciled_at is None:
        lines.append(t("reconcile.never"))
        return "\n".join(lines)
    lines.append(t("reconcile.checked", when=t.moment(found.reconciled_at)))
    summary = found.summary
    if summary.clean:
        lines.append(t("reconcile.clean"))
        return "\n".join(lines)
    lines.append(t("reconcile.open", count=summary.total, critical=summary.critical))
    since = {stored.divergence.id: stored.first_seen_at for stored in found.open}
    lines += [_line(t, one, since[one.id], currency) for one in summary.open]
    return "\n".join(lines)


def _line(t: Translator, one: Divergence, since: datetime, currency: str) -> str:
    what = divergence_text(t, one.kind, one.evidence, one.signal_id, one.ticket, currency)
    return t("reconcile.line", icon=ICONS[one.severity], what=Raw(what), since=t.moment(since))
