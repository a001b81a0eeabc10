"""Admin commands. The gate (group −1) has already refused and audited non-admins."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.context import Context, reply, tr
from bot.handlers.gate import ADMIN_COMMANDS, command_of


async def admin_menu(update: Update, context: Context) -> None:
    await reply(update, tr(context)("admin.menu"))


async def not_yet(update: Update, context: Context) -> None:
    await reply(update, tr(context)("admin.not_yet", command="/" + (command_of(update) or "")))


async def unknown_command(update: Update, context: Context) -> None:
    await reply(update, tr(context)("error.unknown_command"))


def handlers() -> list[BaseHandler[Update, Context, None]]:
    later = sorted(ADMIN_COMMANDS - {"admin"})
    return [
        CommandHandler("admin", admin_menu),
        CommandHandler(later, not_yet),
        MessageHandler(filters.COMMAND, unknown_command),
    ]
