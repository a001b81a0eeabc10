"""Group -1: resolve the user and their language for every update; stop non-admins at admin commands."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, TypeHandler

from bot.context import Context, reply, services, set_current_user, tr

ADMIN_COMMANDS = frozenset(
    {
        "admin", "accounts_all", "account", "liquidate", "lock", "unlock", "halt", "resume",
        "fraud", "payouts", "attribution", "audit", "stats", "broadcast",
    }
)  # fmt: skip


def command_of(update: Update) -> str | None:
    message = update.effective_message
    if message is None or not message.text or not message.text.startswith("/"):
        return None
    return message.text.split()[0][1:].split("@")[0].lower()


async def resolve_user(update: Update, context: Context) -> None:
    sender = update.effective_user
    if sender is None or sender.is_bot:
        raise ApplicationHandlerStop
    svc = services(context)
    user = await svc.users.resolve(sender.id, sender.first_name, sender.username, sender.language_code)
    set_current_user(context, user)
    command = command_of(update)
    if command in ADMIN_COMMANDS and not svc.settings.is_admin(sender.id):
        await svc.users.audit_refused_admin_attempt(sender.id, command or "")
        await reply(update, tr(context)("admin.refused"))
        raise ApplicationHandlerStop


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [TypeHandler(Update, resolve_user)]
