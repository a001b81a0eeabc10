"""/start (with a referral payload: ref_<code> attributes a new user, core.services.referrals), /help and
/language."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import Context, current_user, reply, services, set_current_user, tr
from bot.i18n import translator
from core.services.errors import InvalidInput
from core.services.users import SUPPORTED_LANGUAGES

LANGUAGE_NAMES = {"en": "English", "es": "Español", "ru": "Русский"}
LANGUAGE_CALLBACK = "lang:v1:"


async def start(update: Update, context: Context) -> None:
    svc = services(context)
    user = current_user(context)
    if context.args:
        try:
            await svc.users.record_start(user, context.args[0])
        except InvalidInput:
            pass  # a mangled deep link still deserves a greeting
        else:  # first touch: only a user the gate created for this very update is attributed
            first = svc.users.first_contact(user.telegram_id)
            await svc.referrals.attribute(user, context.args[0], first_contact=first)
    t = tr(context)
    await reply(
        update, t("start.greeting", name=user.first_name, limit=t.percent(svc.settings.max_drawdown_percent))
    )


async def help_command(update: Update, context: Context) -> None:
    t = tr(context)
    await reply(update, "\n".join([t("help.text"), t("help.history"), t("help.affiliates")]))


def language_keyboard() -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(LANGUAGE_NAMES[c], callback_data=LANGUAGE_CALLBACK + c)
        for c in SUPPORTED_LANGUAGES
    ]
    return InlineKeyboardMarkup([buttons])


async def language(update: Update, context: Context) -> None:
    if not context.args:
        await reply(update, tr(context)("language.choose"), reply_markup=language_keyboard())
        return
    await _switch(update, context, context.args[0].lower())


async def language_pressed(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    await _switch(update, context, query.data.removeprefix(LANGUAGE_CALLBACK))


async def _switch(update: Update, context: Context, code: str) -> None:
    svc = services(context)
    user = current_user(context)
    try:
        await svc.users.set_language(user, code)
    except InvalidInput:
        await reply(update, tr(context)("language.usage", languages=", ".join(SUPPORTED_LANGUAGES)))
        return
    set_current_user(context, await svc.users.resolve(user.telegram_id, user.first_name, user.username, None))
    await reply(update, translator(code)("language.set"))


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CommandHandler("start", start),
        CommandHandler("help", help_command),
        CommandHandler("language", language),
        CallbackQueryHandler(language_pressed, pattern=f"^{LANGUAGE_CALLBACK}"),
    ]
