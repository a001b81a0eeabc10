"""Group -1: resolve the user and their language for every update; answer non-admins early at admin
commands. This is a courtesy, not the lock: every admin use case checks who asks itself. The gate
resolves commands exactly as the handlers do (PTB's CommandHandler, from the message's bot_command
entity), so `/accounts_all,` or `/account@OurBot` cannot look like one thing here and another there."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, CommandHandler, TypeHandler

from bot.commands_menu import ADMIN_COMMANDS
from bot.context import Context, reply, services, set_current_user, tr
from core.services.errors import Forbidden


async def _never_called(update: Update, context: Context) -> None:
    raise AssertionError("used only to resolve commands")


_ADMIN_RESOLVER = CommandHandler(ADMIN_COMMANDS, _never_called)


def command_of(update: Update) -> str | None:
    """The command the handlers will run for this update (lower case, no @bot), or None: the same rule
    as CommandHandler (a bot_command entity at offset 0 of the text)."""
    message = update.effective_message
    if message is None or not message.text or not message.entities:
        return None
    entity = message.entities[0]
    if entity.type != entity.BOT_COMMAND or entity.offset != 0:
        return None
    return message.text[1 : entity.length].split("@")[0].lower()


def is_admin_command(update: Update) -> bool:
    return bool(_ADMIN_RESOLVER.check_update(update))


async def resolve_user(update: Update, context: Context) -> None:
    sender = update.effective_user
    if sender is None or sender.is_bot:
        raise ApplicationHandlerStop
    svc = services(context)
    user = await svc.users.resolve(sender.id, sender.first_name, sender.username, sender.language_code)
    set_current_user(context, user)
    if is_admin_command(update):
        try:
            await svc.admin.require_admin(user, command_of(update) or "")
        except Forbidden:
            await reply(update, tr(context)("admin.refused"))
            raise ApplicationHandlerStop from None


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [TypeHandler(Update, resolve_user)]
