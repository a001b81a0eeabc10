"""/settings: the trader's language and a stricter personal drawdown limit (never a looser one)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.context import Context, current_user, reply, services, tr
from core.services.errors import InvalidInput

ERRORS = {"limit_looser": "settings.limit_looser", "limit_number": "settings.limit_number"}


async def settings_command(update: Update, context: Context) -> None:
    svc = services(context)
    t = tr(context)
    args = list(context.args or [])
    service_limit = t.percent(svc.settings.max_drawdown_percent)
    if len(args) != 2 or args[0].lower() != "limit":
        views = await svc.queries.views_of(current_user(context))
        personal = next((v.personal_limit for v in views if v.personal_limit is not None), None)
        limit = t.percent(personal) if personal is not None else t("settings.no_personal_limit")
        await reply(update, t("settings.show", limit=limit, service_limit=service_limit))
        return
    try:
        percent = await svc.preferences.set_drawdown_limit(current_user(context), args[1].lower())
    except InvalidInput as error:
        await reply(update, t(ERRORS.get(str(error), "settings.limit_number"), service_limit=service_limit))
        return
    if percent is None:
        await reply(update, t("settings.limit_off", service_limit=service_limit))
    else:
        await reply(update, t("settings.limit_set", limit=t.percent(percent)))


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [CommandHandler("settings", settings_command)]
