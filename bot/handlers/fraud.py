"""/fraud (admins): the queue's count, then one case at a time with its evidence and the buttons Confirm,
Confirm + ban code, Clear, Later. The gate stops traders first; the service checks again, on the
command and on every press (the presser must still be an admin)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.context import Context, current_user, reply, services, tr
from bot.i18n import Raw
from bot.render import split_message
from bot.render.fraud import FRAUD_BUTTON, fraud_keyboard, parse_fraud_button, render_case
from core.services.errors import Forbidden, NotFound
from core.services.fraud import AlreadyDecided, Decided, Decision, FraudService


def _service(context: Context) -> FraudService:
    fraud = services(context).fraud
    assert fraud is not None, "the fraud service is wired in bot/app.py"
    return fraud


async def fraud_queue(update: Update, context: Context) -> None:
    """`/fraud`: the first case waiting (its buttons under the last part of a long message)."""
    t = tr(context)
    try:
        view = await _service(context).next_case(current_user(context))
    except Forbidden:
        await reply(update, t("admin.refused"))
        return
    if view is None:
        await reply(update, t("fraud.queue_empty"))
        return
    await _send_case(update, context, render_case(t, view), view.case.id)


async def _send_case(update: Update, context: Context, text: str, case_id: int) -> None:
    """Split under Telegram's limit; the keyboard goes with the last part, next to the evidence's end."""
    parts = split_message(text)
    message = update.effective_message
    assert message is not None
    for part in parts[:-1]:
        await message.reply_html(part, disable_web_page_preview=True)
    await message.reply_html(
        parts[-1], disable_web_page_preview=True, reply_markup=fraud_keyboard(tr(context), case_id)
    )


async def fraud_pressed(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    t, parsed = tr(context), parse_fraud_button(query.data)
    if parsed is None:
        await query.answer(t("admin.refused"), show_alert=True)
        return
    decision, case_id = parsed
    try:
        done = await _service(context).decide(current_user(context), case_id, decision)
    except Forbidden:  # the refusal goes to the presser; the admin's buttons stay
        await query.answer(t("admin.refused"), show_alert=True)
        return
    except NotFound:
        await query.answer()
        await reply(update, t("fraud.not_found", case=case_id))
        return
    except AlreadyDecided as error:
        await query.answer()
        await query.edit_message_reply_markup(None)
        status = Raw(t(f"fraud.status_{error.case.status.value}"))
        await reply(update, t("fraud.already", case=case_id, status=status))
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    await reply(update, _outcome(context, done, decision))
    await fraud_queue(update, context)  # the next case, or "nothing waits"


def _outcome(context: Context, done: Decided, decision: Decision) -> str:
    t = tr(context)
    reversed_lines = Raw(t.plural("fraud.reversed", done.reversed_lines))
    return t(f"fraud.done_{decision.value}", case=done.case.id, reversed=reversed_lines)


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [CallbackQueryHandler(fraud_pressed, pattern=f"^{FRAUD_BUTTON}")]
