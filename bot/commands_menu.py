"""The bot's command lists, and their menus per scope: traders see theirs, each admin's chat also shows
the admin commands."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.i18n import translator
from core.services.users import SUPPORTED_LANGUAGES

log = logging.getLogger(__name__)
TRADER_COMMANDS = (
    "start", "help", "link", "accounts", "status", "positions", "reconcile", "settings", "language",
)  # fmt: skip
TRADER_COMMANDS += ("trades", "report", "import")  # issue 10: attribution and history
TRADER_COMMANDS += ("subscribe",)  # issue 11: Stars subscriptions
TRADER_COMMANDS += ("referral",)  # issue 11: the referral link and its standing
TRADER_COMMANDS += ("privacy",)  # issue 13: what is stored, export, delete
# Every admin command, in the order of the admin's menu: the one list the gate stops non-admins at
# (handlers/gate.py), handlers/admin.py answers (or says "not yet") and the menu offers, each with its
# description from the catalogue (menu.<name>).
ADMIN_COMMANDS = (
    "admin",
    "accounts_all",
    "account",
    "liquidate",
    "lock",
    "unlock",
    "halt",
    "resume",
    "audit",
    "stats",
    "broadcast",
    "fraud",
    "payouts",
    "attribution",
    "refund",
)
# Named in /admin's text and answered "not yet", but left out of the menu: they have no description yet.
NOT_IN_MENU: frozenset[str] = frozenset()  # issue 11: /fraud and /payouts have their menu lines
ADMIN_MENU = tuple(name for name in ADMIN_COMMANDS if name not in NOT_IN_MENU)


def menu(language: str, names: tuple[str, ...]) -> list[BotCommand]:
    t = translator(language)
    return [BotCommand(name, t(f"menu.{name}")) for name in names]


async def publish_command_menus(bot: Bot, admin_ids: tuple[int, ...]) -> None:
    for language in SUPPORTED_LANGUAGES:
        code = None if language == "en" else language
        await bot.set_my_commands(menu(language, TRADER_COMMANDS), BotCommandScopeDefault(), code)
    for admin_id in admin_ids:
        try:
            await bot.set_my_commands(menu("en", TRADER_COMMANDS + ADMIN_MENU), BotCommandScopeChat(admin_id))
        except TelegramError as error:  # an admin who never opened the bot has no chat yet
            log.warning("admin menu for %s not set: %s", admin_id, error)
