"""/reconcile [login[@server]]: the trader's latest reconciliation summary and open divergences, per
account; the service shows only the caller's own accounts."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.context import Context, current_user, reply, services, tr
from bot.render.reconciliation import render_reconciliation
from core.domain.account_key import AccountKey, BadAccountKey, parse_account_key


async def reconcile(update: Update, context: Context) -> None:
    t = tr(context)
    key: AccountKey | None = None
    if context.args:
        try:
            key = parse_account_key(context.args[0])
        except BadAccountKey:
            await reply(update, t("accounts.usage", command="/reconcile"))
            return
    found = await services(context).reconciliation.of_user(current_user(context), key)
    if not found:
        await reply(update, t("accounts.none"))
    for account in found:
        await reply(update, render_reconciliation(t, account))


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [CommandHandler("reconcile", reconcile)]
