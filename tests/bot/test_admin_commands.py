"""One list of admin commands (bot/commands_menu.py): the gate stops traders at each, each has a handler
or is listed as not yet implemented, and the admin's menu offers the same list, described."""

from __future__ import annotations

from typing import Any

from telegram import BotCommand, BotCommandScopeChat
from telegram.ext import CommandHandler

from bot.commands_menu import ADMIN_COMMANDS, NOT_IN_MENU, TRADER_COMMANDS, publish_command_menus
from bot.handlers import admin
from tests.bot.conftest import ADMIN_ID, Stack

REFUSED = "Sorry, that command is for admins only. The attempt has been recorded."
UNKNOWN = "I do not know that command. /help lists what I can do."


class MenuRecorder:
    """Just enough of a Bot for `publish_command_menus`: the menus it sets, by scope and language."""

    def __init__(self) -> None:
        self.menus: dict[tuple[Any, str | None], list[BotCommand]] = {}

    async def set_my_commands(
        self, commands: list[BotCommand], scope: Any, language_code: str | None = None
    ) -> bool:
        self.menus[(scope, language_code)] = commands
        return True


def test_every_admin_command_has_a_handler_or_is_listed_as_not_yet_implemented() -> None:
    handled = {name for h in admin.handlers() if isinstance(h, CommandHandler) for name in h.commands}

    assert set(admin.IMPLEMENTED).isdisjoint(admin.NOT_YET)
    assert sorted([*admin.IMPLEMENTED, *admin.NOT_YET]) == sorted(ADMIN_COMMANDS)
    assert handled == set(ADMIN_COMMANDS)


async def test_the_admins_menu_offers_the_admin_commands_each_with_its_description() -> None:
    bot = MenuRecorder()

    await publish_command_menus(bot, (ADMIN_ID,))  # type: ignore[arg-type]

    offered = [command.command for command in bot.menus[(BotCommandScopeChat(ADMIN_ID), None)]]
    assert offered == [*TRADER_COMMANDS, *(name for name in ADMIN_COMMANDS if name not in NOT_IN_MENU)]
    assert NOT_IN_MENU <= set(admin.NOT_YET)  # only a command that is not there yet may be left out


async def test_a_trader_is_stopped_at_every_admin_command_and_an_admin_is_answered(stack: Stack) -> None:
    mallory, olga = stack.user(1666, "Mallory"), stack.user(ADMIN_ID, "Olga", "en")

    for name in ADMIN_COMMANDS:
        refused = await stack.ask(mallory, f"/{name}")
        answered = await stack.ask(olga, f"/{name}")

        assert refused.text == REFUSED, name
        assert answered.text not in (REFUSED, UNKNOWN), name
        assert (answered.text == f"/{name} is not available yet.") == (name in admin.NOT_YET), name
    refused_commands = await stack.rows(
        "SELECT details->>'command' AS command FROM audit_log WHERE action = 'admin.refused'"
    )
    assert sorted(row.command for row in refused_commands) == sorted(ADMIN_COMMANDS)
