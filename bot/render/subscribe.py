"""/subscribe and /refund in the user's words: the plans with their buttons, the invoice's texts, the thanks
for a payment, and what an admin confirms before a refund. Pure: a translator and values in, text out."""

from __future__ import annotations

from bot.i18n import Raw, Translator
from core.domain.affiliates import Payment, Plan

MAX_INVOICE_TITLE = 32  # Telegram's limits on an invoice's title and description
MAX_INVOICE_DESCRIPTION = 255


def days(t: Translator, plan: Plan) -> str:
    return t.plural("subscribe.days", plan.days)


def stars(t: Translator, count: int) -> str:
    return t.plural("subscribe.stars", count)


def plan_line(t: Translator, plan: Plan) -> str:
    return t("subscribe.plan", plan=plan.code, days=Raw(days(t, plan)), stars=Raw(stars(t, plan.stars)))


def render_plans(t: Translator, plans: tuple[Plan, ...]) -> str:
    return "\n".join([t("subscribe.plans"), *(f"• {plan_line(t, plan)}" for plan in plans)])


def plan_button(t: Translator, plan: Plan) -> str:
    """Not HTML (a button): the plan code is [a-z0-9_] and the counts are digits, nothing to escape."""
    return t("subscribe.button", plan=plan.code, stars=plan.stars)


def invoice_title(t: Translator, plan: Plan) -> str:
    return t("subscribe.invoice_title", plan=plan.code)[:MAX_INVOICE_TITLE]


def invoice_description(t: Translator, plan: Plan) -> str:
    return t("subscribe.invoice_description", days=Raw(days(t, plan)))[:MAX_INVOICE_DESCRIPTION]


def render_thanks(t: Translator, payment: Payment) -> str:
    return t("subscribe.thanks", plan=payment.plan or "—", until=t.moment(payment.period_end))


def render_refund_confirm(t: Translator, payment: Payment) -> str:
    return t(
        "refund.confirm",
        stars=Raw(stars(t, int(payment.amount))),
        user=payment.telegram_id,
        plan=payment.plan or "—",
        start=t.moment(payment.period_start),
        end=t.moment(payment.period_end),
        charge=payment.external_id,
    )


def render_refunded(t: Translator, payment: Payment) -> str:
    return t("refund.done", stars=Raw(stars(t, int(payment.amount))), user=payment.telegram_id)
