"""/privacy (issue 13): what is stored and for how long, with Export (a ZIP in the chat) and Delete (after
a confirm button). The service finds the trader again by the presser's Telegram id: a press reaches only
the presser's own data, whoever's message carries the buttons."""

from __future__ import annotations

import io

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import Context, current_user, reply, services, tr
from bot.i18n import translator
from bot.render.privacy import (
    CANCEL,
    CONFIRM,
    DELETE,
    EXPORT,
    PRIVACY_BUTTON,
    export_name,
    export_zip,
    parse_privacy_button,
    render_confirm,
    render_privacy,
)
from core.services.errors import NotFound
from core.services.ports.privacy import Erased
from core.services.privacy import PrivacyService


def _service(context: Context) -> PrivacyService:
    privacy = services(context).privacy
    assert privacy is not None, "the privacy service is wired in bot/app.py"
    return privacy


async def privacy(update: Update, context: Context) -> None:
    text, keyboard = render_privacy(tr(context), services(context).settings.retention_days)
    await reply(update, text, reply_markup=keyboard)


async def privacy_pressed(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    t, action = tr(context), parse_privacy_button(query.data)
    if action is None:
        await query.answer(t("privacy.unknown_button"), show_alert=True)
        return
    await query.answer()
    if action == EXPORT:
        await _export(update, context)
    elif action == DELETE:
        text, keyboard = render_confirm(t)
        await reply(update, text, reply_markup=keyboard)
    elif action == CANCEL:
        await query.edit_message_reply_markup(None)
        await reply(update, t("privacy.cancelled"))
    elif action == CONFIRM:
        await query.edit_message_reply_markup(None)
        await _delete(update, context)


async def _export(update: Update, context: Context) -> None:
    t, now = tr(context), services(context).now()
    try:
        data = await _service(context).export(current_user(context))
    except NotFound:
        await reply(update, t("privacy.nothing"))
        return
    message = update.effective_message
    assert message is not None
    document = InputFile(io.BytesIO(export_zip(t, data, now)), filename=export_name(now))
    await message.reply_document(document, caption=t("privacy.export_caption"), parse_mode="HTML")


async def _delete(update: Update, context: Context) -> None:
    user = current_user(context)

    async def tell(erased: Erased) -> None:
        """Told while their chat id is still stored: if this fails, nothing is erased."""
        await reply(update, translator(user.language).plural("privacy.deleted", erased.accounts))

    erased = await _service(context).delete(user, tell)
    if erased is None:
        await reply(update, tr(context)("privacy.nothing"))


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CommandHandler("privacy", privacy),
        CallbackQueryHandler(privacy_pressed, pattern=f"^{PRIVACY_BUTTON}"),
    ]
