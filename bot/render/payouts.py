"""The ledger's alerts to an affiliate and the /payouts preview (issue 11). Pure."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Raw, Translator
from bot.render.common import money
from bot.render.values import Renderer, Values
from core.domain.affiliates import Payout
from core.domain.affiliates.payouts import Candidate
from core.domain.alerts import AlertBody, CommissionEarned, CommissionReversed, PayoutReturned, PayoutSent

RUN, SENT, FAILED = "payouts:v1:run:", "payouts:v1:sent:", "payouts:v1:failed:"


def _earned(t: Translator, alert: CommissionEarned) -> Values:
    return {
        "amount": money(t, alert.amount, alert.currency),
        "what": Raw(t(f"commission.kind_{alert.line_kind.value}")),
        "payable_at": t.moment(alert.payable_at),
    }


def _reversed(t: Translator, alert: CommissionReversed) -> Values:
    how = t("commission.carried") if alert.carried else t("commission.nets", at=t.moment(alert.payable_at))
    return {"amount": money(t, alert.amount, alert.currency), "how": Raw(how)}


def _sent(t: Translator, alert: PayoutSent) -> Values:
    amount = money(t, alert.amount, alert.currency)
    return {"amount": amount, "period": alert.period, "reference": alert.reference}


def _returned(t: Translator, alert: PayoutReturned) -> Values:
    return {"amount": money(t, alert.amount, alert.currency), "period": alert.period}


PAYOUT_RENDERERS: dict[type[AlertBody], Renderer] = {
    CommissionEarned: _earned,
    CommissionReversed: _reversed,
    PayoutSent: _sent,
    PayoutReturned: _returned,
}


def render_preview(
    t: Translator, period: str, candidates: Sequence[Candidate], unknown: Sequence[Payout]
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Who would be paid how much, who is blocked and why; payouts of unknown outcome with their
    buttons; a Confirm button when someone would be paid."""
    paid = [c for c in candidates if c.blocked is None]
    lines = [t("payouts.title", period=period)]
    lines += [_candidate(t, c) for c in candidates] or [t("payouts.none")]
    buttons = []
    if paid:
        lines.append(t.plural("payouts.confirm", len(paid)))
        buttons.append([InlineKeyboardButton(t("payouts.button_confirm"), callback_data=RUN + period)])
    if unknown:
        lines.append(t("payouts.unknown_title"))
    for payout in unknown:
        lines.append(_unknown(t, payout))
        buttons.append(
            [
                InlineKeyboardButton(
                    t("payouts.button_sent", id=payout.id), callback_data=f"{SENT}{payout.id}"
                ),
                InlineKeyboardButton(
                    t("payouts.button_failed", id=payout.id), callback_data=f"{FAILED}{payout.id}"
                ),
            ]
        )
    return "\n".join(lines), InlineKeyboardMarkup(buttons) if buttons else None


def _candidate(t: Translator, candidate: Candidate) -> str:
    balance = candidate.balance
    why = t(f"payouts.blocked_{candidate.blocked.value}") if candidate.blocked else t("payouts.will_pay")
    amount = money(t, balance.payable, balance.currency)
    return t("payouts.line", name=balance.name, telegram_id=balance.telegram_id, amount=amount, why=Raw(why))


def _unknown(t: Translator, payout: Payout) -> str:
    amount = money(t, payout.amount, payout.currency)
    return t(
        "payouts.unknown_line",
        id=payout.id,
        user=payout.affiliate_user_id,
        amount=amount,
        period=payout.period,
    )


def render_ran(t: Translator, paid: Sequence[Payout]) -> str:
    if not paid:
        return t("payouts.ran_none")
    lines = [t.plural("payouts.ran", len(paid))]
    lines += [
        t("payouts.ran_line", id=p.id, amount=money(t, p.amount, p.currency), status=status(t, p))
        for p in paid
    ]
    return "\n".join(lines)


def status(t: Translator, payout: Payout) -> Raw:
    return Raw(t(f"payouts.status_{payout.status.value}"))


def render_resolved(t: Translator, payout: Payout) -> str:
    return t("payouts.resolved", id=payout.id, status=status(t, payout))
