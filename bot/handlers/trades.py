"""/trades [days] (a trader's own split, bot vs manual) and /attribution <user> [days] (admins: any
user's). The numbers come from the stored deals only (core/services/attribution.py)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.context import Context, current_user, reply, services, tr
from bot.render.trades import render_attribution
from core.services.attribution import parse_days
from core.services.errors import Forbidden, InvalidInput, NotFound


async def trades(update: Update, context: Context) -> None:
    t, args = tr(context), list(context.args or [])
    try:
        if len(args) > 1:
            raise InvalidInput("too many arguments")
        days = parse_days(args[0] if args else None)
        found = await services(context).attribution.mine(current_user(context), days)
    except InvalidInput:
        await reply(update, t("trades.usage"))
        return
    await reply(update, render_attribution(t, found) if found.accounts else t("accounts.none"))


async def attribution(update: Update, context: Context) -> None:
    """Admins only: the gate has refused (and audited) anyone else; the service checks again."""
    t, args = tr(context), list(context.args or [])
    if not 1 <= len(args) <= 2:
        await reply(update, t("attribution.usage"))
        return
    try:
        days = parse_days(args[1] if len(args) > 1 else None)
        found = await services(context).attribution.of_user(current_user(context), args[0], days)
    except Forbidden:
        await reply(update, t("admin.refused"))
        return
    except InvalidInput:
        await reply(update, t("attribution.usage"))
        return
    except NotFound:
        await reply(update, t("attribution.not_found", user=args[0]))
        return
    heading = t("attribution.header", user=args[0], telegram_id=found.telegram_id)
    if not found.accounts:
        await reply(update, "\n".join([heading, t("attribution.no_accounts")]))
        return
    await reply(update, render_attribution(t, found, heading))


def handlers() -> list[BaseHandler[Update, Context, None]]:
    """/trades only: /attribution is an admin command, answered from handlers/admin.py's list."""
    return [CommandHandler("trades", trades)]
