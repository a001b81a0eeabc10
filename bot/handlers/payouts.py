"""/payouts (admins): the preview (who would be paid how much, who is held and why), a Confirm button,
and Sent / Failed buttons for payouts of unknown outcome. The service checks the admin on every call,
the press included (callback data `payouts:v1:<action>:<arg>`).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.context import Context, current_user, reply, services, tr
from bot.render.payouts import FAILED, RUN, SENT, render_preview, render_ran, render_resolved
from core.domain.affiliates import PayoutStatus
from core.services.errors import Forbidden, InvalidInput, NotFound


async def payouts(update: Update, context: Context) -> None:
    t = tr(context)
    try:
        preview = await services(context).payouts.preview(current_user(context))
    except Forbidden:
        await reply(update, t("admin.refused"))
        return
    text, keyboard = render_preview(t, preview.period, preview.candidates, preview.unknown)
    await reply(update, text, reply_markup=keyboard)


async def pressed(update: Update, context: Context) -> None:
    """Confirm, Sent or Failed: the service checks the presser is still an admin."""
    query = update.callback_query
    assert query is not None and query.data is not None
    t, presser, svc = tr(context), current_user(context), services(context).payouts
    data = query.data
    try:
        if data.startswith(RUN):
            done = render_ran(t, await svc.run(presser, data.removeprefix(RUN)))
        else:
            status = PayoutStatus.SENT if data.startswith(SENT) else PayoutStatus.FAILED
            payout_id = _number(data.removeprefix(SENT if data.startswith(SENT) else FAILED))
            done = render_resolved(t, await svc.resolve(presser, payout_id, status))
    except Forbidden:
        await query.answer(t("admin.refused"), show_alert=True)
        return
    except (InvalidInput, NotFound) as error:
        done = t("payouts.refused", error=str(error))
    await query.answer()
    await query.edit_message_reply_markup(None)
    await reply(update, done)


def _number(text: str) -> int:
    if not text.isdigit():
        raise InvalidInput(f"not a payout number: {text!r}")
    return int(text)


def handlers() -> list[BaseHandler[Update, Context, None]]:
    """The command itself is bot/handlers/admin.py's (one list of admin commands); the presses are here."""
    return [CallbackQueryHandler(pressed, pattern=f"^({RUN}|{SENT}|{FAILED})")]
