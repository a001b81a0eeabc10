"""/subscribe (Telegram Stars) and the admins' /refund.

A plan's button sends an invoice whose payload names the plan and the payer (`sub:v1:<plan>:<id>`); the
pre-checkout is answered from PaymentService's checks (a tampered or stale invoice is refused in the
payer's language); the successful_payment is recorded by Telegram's charge id and thanked for. /refund asks
for confirmation with a button re-checked on press (the presser must still be an admin), as /liquidate.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LabeledPrice, SuccessfulPayment, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from bot.context import Context, current_user, pressed_by_admin, reply, services, tr
from bot.render.subscribe import (
    invoice_description,
    invoice_title,
    plan_button,
    render_plans,
    render_refund_confirm,
    render_refunded,
    render_thanks,
)
from core.domain.account_key import parse_id
from core.services.errors import Forbidden, NotFound
from core.services.payments import (
    STARS,
    AlreadyRefunded,
    ChargeAlreadyRefunded,
    CheckoutRefused,
    Recorded,
    RefundCall,
    invoice_payload,
)

log = logging.getLogger(__name__)
PLAN = "plan:v1:"  # plan:v1:<plan code>
# A successful_payment's record is retried this long (about two minutes) before it is logged for an operator.
RECORD_RETRY_SECONDS = (0.5, 1, 2, 4, 8, 15, 30, 30, 30)
REFUND = "rfd:v1:"  # rfd:v1:<payment id>
REFUND_CANCEL = "rfd:v1:no"


async def subscribe(update: Update, context: Context) -> None:
    t, plans = tr(context), services(context).payments.plans
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(plan_button(t, plan), callback_data=f"{PLAN}{plan.code}")] for plan in plans]
    )
    await reply(update, render_plans(t, plans), reply_markup=keyboard)


async def plan_pressed(update: Update, context: Context) -> None:
    """Sends the plan's invoice; a plan no longer offered (an old button) is said so instead."""
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    t, user = tr(context), current_user(context)
    plan = services(context).payments.plan(query.data.removeprefix(PLAN))
    if plan is None:
        await reply(update, t("subscribe.refused_plan"))
        return
    title = invoice_title(t, plan)
    await context.bot.send_invoice(
        chat_id=user.telegram_id,
        title=title,
        description=invoice_description(t, plan),
        payload=invoice_payload(plan, user.telegram_id),
        currency=STARS,
        prices=[LabeledPrice(title, plan.stars)],
    )


async def pre_checkout(update: Update, context: Context) -> None:
    query = update.pre_checkout_query
    assert query is not None
    try:
        services(context).payments.check_checkout(
            query.from_user.id, query.invoice_payload, query.currency, query.total_amount
        )
    except CheckoutRefused as refused:
        await query.answer(ok=False, error_message=tr(context)(refused.reason))
        return
    await query.answer(ok=True)


async def paid(update: Update, context: Context) -> None:
    """Telegram has charged the payer and never sends this update again: the record is retried through an
    outage (the chat's later updates wait), and one that still fails is logged for an operator to enter
    from Telegram's list of Star transactions, and the payer told their charge id."""
    message = update.effective_message
    assert message is not None and message.successful_payment is not None
    payment, t = message.successful_payment, tr(context)
    recorded = await _record_retrying(context, payment, current_user(context).telegram_id)
    if recorded is None:
        await reply(update, t("subscribe.not_recorded", charge=payment.telegram_payment_charge_id))
    else:
        await reply(update, render_thanks(t, recorded.payment))


async def _record_retrying(context: Context, payment: SuccessfulPayment, payer: int) -> Recorded | None:
    record, charge = services(context).payments.record_stars, payment.telegram_payment_charge_id
    for pause in (*RECORD_RETRY_SECONDS, None):
        try:
            return await record(payer, payment.invoice_payload, payment.total_amount, charge)
        except Exception as error:
            if pause is None:
                log.error(
                    "Stars payment NOT recorded, enter it by hand: charge %s, payer %s, %s Stars, %s (%s)",
                    charge, payer, payment.total_amount, payment.invoice_payload, type(error).__name__,
                )  # fmt: skip
                return None
            await asyncio.sleep(pause)
    return None


async def refund(update: Update, context: Context) -> None:
    """`/refund <charge id>` (admins): the payment it names, and a button to confirm the refund."""
    t = tr(context)
    charge_id = (context.args or [""])[0]
    if not charge_id or len(context.args or []) != 1:
        await reply(update, t("refund.usage"))
        return
    try:
        payment = await services(context).payments.refundable(current_user(context), charge_id)
    except (Forbidden, NotFound, AlreadyRefunded) as error:
        await reply(update, _refusal(context, error, charge_id))
        return
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t("refund.button_confirm"), callback_data=f"{REFUND}{payment.id}"),
                InlineKeyboardButton(t("admin.button_cancel"), callback_data=REFUND_CANCEL),
            ]
        ]
    )
    await reply(update, render_refund_confirm(t, payment), reply_markup=keyboard)


def _refusal(context: Context, error: Exception, charge_id: str) -> str:
    t = tr(context)
    if isinstance(error, Forbidden):
        return t("admin.refused")
    return t("refund.already" if isinstance(error, AlreadyRefunded) else "refund.not_found", charge=charge_id)


async def refund_pressed(update: Update, context: Context) -> None:
    if (data := await pressed_by_admin(update, context)) is None:
        return
    svc, t, presser = services(context), tr(context), current_user(context)
    payment_id = parse_id(data.removeprefix(REFUND))
    if data == REFUND_CANCEL or payment_id is None:
        await reply(update, t("admin.cancelled"))
        return
    charge_id = ""
    try:
        charge_id = await svc.payments.stars_charge(presser, payment_id)
        recorded = await svc.payments.refund(presser, charge_id, _refund_call(context))
    except (Forbidden, NotFound, AlreadyRefunded) as error:
        await reply(update, _refusal(context, error, charge_id or str(payment_id)))
    except TelegramError as error:
        await reply(update, t("refund.telegram_refused", reason=error.message))
    else:
        await reply(update, render_refunded(t, recorded.payment))


def _refund_call(context: Context) -> RefundCall:
    async def call(user_id: int, charge_id: str) -> None:
        try:
            await context.bot.refund_star_payment(user_id, charge_id)
        except BadRequest as error:
            if "charge_already_refunded" in error.message.lower():
                raise ChargeAlreadyRefunded from error
            raise

    return call


def handlers() -> list[BaseHandler[Update, Context, None]]:
    """/refund's command handler is in handlers/admin.py's IMPLEMENTED (the one admin command list)."""
    return [
        CommandHandler("subscribe", subscribe),
        CallbackQueryHandler(plan_pressed, pattern=f"^{PLAN}"),
        CallbackQueryHandler(refund_pressed, pattern=f"^{REFUND}"),
        PreCheckoutQueryHandler(pre_checkout),
        MessageHandler(filters.SUCCESSFUL_PAYMENT, paid),
    ]
