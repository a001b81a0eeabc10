"""Approve / Skip on a signal alert. The service decides (only the account's owner, only before the
signal expires, only once); this parses the button, calls it and says what happened."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.context import Context, current_user, reply, services, tr
from bot.i18n import Raw
from bot.render.signals import SIGNAL_BUTTON, parse_signal_button
from core.domain.signals import DeliveryStatus
from core.services.errors import Forbidden, NotFound
from core.services.signals import Decision

OUTCOMES = {
    DeliveryStatus.APPROVED: "signal.approved",
    DeliveryStatus.SKIPPED: "signal.skipped",
    DeliveryStatus.EXPIRED: "signal.expired",
    DeliveryStatus.REFUSED: "signal.refused",
}


async def signal_pressed(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    t, parsed = tr(context), parse_signal_button(query.data)
    if parsed is None:
        await query.answer(t("signal.not_yours"), show_alert=True)
        return
    approve, account_id, signal_id = parsed
    try:
        decision = await services(context).signals.decide(
            current_user(context), signal_id, account_id, approve
        )
    except (Forbidden, NotFound):  # not the owner's press: nothing changes, the owner's buttons stay
        await query.answer(t("signal.not_yours"), show_alert=True)
        return
    await query.answer()
    if decision.changed:  # a second tap finds the buttons already gone: nothing to edit
        await query.edit_message_reply_markup(None)
    await reply(update, _outcome(context, decision))


def _outcome(context: Context, decision: Decision) -> str:
    t, delivery, signal = tr(context), decision.delivery, decision.signal
    status = t(f"signal.status_{delivery.status.value}")
    if not decision.changed:
        return t("signal.already", signal_id=signal.id, status=Raw(status))
    reason = t(f"signal.reason_{delivery.reason.value}") if delivery.reason else ""
    at = t.moment(signal.expires_at) if signal.expires_at else ""
    return t(OUTCOMES[delivery.status], signal_id=signal.id, symbol=signal.symbol, reason=Raw(reason), at=at)


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [CallbackQueryHandler(signal_pressed, pattern=f"^{SIGNAL_BUTTON}")]
