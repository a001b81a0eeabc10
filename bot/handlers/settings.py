"""/settings: the trader's language, a stricter personal drawdown limit (never a looser one) and how
their accounts follow signals (`/settings signals auto|approve|off`, approve by default).

A limit that one of the trader's accounts is already past would close it out at the next snapshot:
it is set only after the trader presses the confirm button, and every check runs again on the press.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import Context, current_user, reply, services, tr
from bot.i18n import Raw
from core.services.admin import LimitChange
from core.services.errors import InvalidInput

ERRORS = {"limit_looser": "settings.limit_looser", "limit_number": "settings.limit_number"}
CONFIRM_LIMIT = "lim:v1:"  # + the limit as kept, e.g. "lim:v1:12.35"
KEEP_LIMIT = "lim:v1:no"


async def settings_command(update: Update, context: Context) -> None:
    svc = services(context)
    t = tr(context)
    args = list(context.args or [])
    service_limit = t.percent(svc.settings.max_drawdown_percent)
    if len(args) == 2 and args[0].lower() == "signals":
        await _set_signal_mode(update, context, args[1])
        return
    if len(args) != 2 or args[0].lower() != "limit":
        views = await svc.queries.views_of(current_user(context))
        personal = next((v.personal_limit for v in views if v.personal_limit is not None), None)
        limit = t.percent(personal) if personal is not None else t("settings.no_personal_limit")
        mode = Raw(t(f"settings.signals_{(await svc.signals.mode_of(current_user(context))).value}"))
        await reply(update, t("settings.show", limit=limit, service_limit=service_limit, signals=mode))
        return
    await _set_limit(update, context, args[1].lower(), confirmed=False)


async def _set_signal_mode(update: Update, context: Context, text: str) -> None:
    t = tr(context)
    try:
        mode = await services(context).signals.set_mode(current_user(context), text)
    except InvalidInput:
        await reply(update, t("settings.signals_usage"))
        return
    await reply(update, t("settings.signals_set", mode=t(f"settings.signals_{mode.value}")))


async def limit_pressed(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    await query.edit_message_reply_markup(None)
    if query.data == KEEP_LIMIT:
        await reply(update, tr(context)("settings.limit_kept"))
        return
    await _set_limit(update, context, query.data.removeprefix(CONFIRM_LIMIT), confirmed=True)


async def _set_limit(update: Update, context: Context, text: str, *, confirmed: bool) -> None:
    svc = services(context)
    t = tr(context)
    service_limit = t.percent(svc.settings.max_drawdown_percent)
    try:
        change = await svc.preferences.set_drawdown_limit(current_user(context), text, confirmed=confirmed)
    except InvalidInput as error:
        await reply(update, t(ERRORS.get(str(error), "settings.limit_number"), service_limit=service_limit))
        return
    if not change.applied:
        await _ask_to_confirm(update, context, change)
    elif change.percent is None:
        await reply(update, t("settings.limit_off", service_limit=service_limit))
    else:
        await reply(update, t("settings.limit_set", limit=t.percent(change.percent)))


async def _ask_to_confirm(update: Update, context: Context, change: LimitChange) -> None:
    assert change.percent is not None and change.deepest_drawdown is not None
    t = tr(context)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t("settings.button_confirm_limit"), callback_data=f"{CONFIRM_LIMIT}{change.percent}"
                ),
                InlineKeyboardButton(t("settings.button_keep_limit"), callback_data=KEEP_LIMIT),
            ]
        ]
    )
    text = t(
        "settings.limit_confirm",
        limit=t.percent(change.percent),
        drawdown=t.percent(change.deepest_drawdown),
    )
    await reply(update, text, reply_markup=keyboard)


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CommandHandler("settings", settings_command),
        CallbackQueryHandler(limit_pressed, pattern=f"^{CONFIRM_LIMIT}"),
    ]
