"""The bot's profile: getMe, its command menus per scope and language, and chat menu buttons."""

from __future__ import annotations

import copy
import json
import re

from sim.telegram.constants import JsonDict, bot_user
from sim.telegram.errors import bad_request
from sim.telegram.params import Handler, Params

_COMMAND_NAME_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)


class BotProfile:
    """What setMyCommands and setChatMenuButton recorded, keyed as Telegram keys them."""

    def __init__(self) -> None:
        self.commands: dict[tuple[str, str], list[JsonDict]] = {}
        self.menu_buttons: dict[int | None, JsonDict] = {}

    def methods(self) -> dict[str, Handler]:
        return {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
        }

    def commands_for(self, scope: JsonDict | None = None, language_code: str = "") -> list[JsonDict]:
        """What setMyCommands recorded for ``scope`` (default scope) and ``language_code``."""
        return self.commands.get((scope_key(scope), language_code), [])

    async def _get_me(self, params: Params) -> JsonDict:
        return {
            **bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _true(self, params: Params) -> bool:
        return True

    async def _set_my_commands(self, params: Params) -> bool:
        commands = _parse_commands(params)
        self.commands[(_scope_key(params), params.string("language_code") or "")] = commands
        return True

    async def _get_my_commands(self, params: Params) -> list[JsonDict]:
        key = (_scope_key(params), params.string("language_code") or "")
        return copy.deepcopy(self.commands.get(key, []))

    async def _delete_my_commands(self, params: Params) -> bool:
        self.commands.pop((_scope_key(params), params.string("language_code") or ""), None)
        return True

    async def _set_chat_menu_button(self, params: Params) -> bool:
        chat_id = params.chat_id() if params.string("chat_id") is not None else None
        button = params.json("menu_button", "menu button") or {"type": "default"}
        if not isinstance(button, dict) or not isinstance(button.get("type"), str):
            raise bad_request("can't parse menu button JSON object")
        self.menu_buttons[chat_id] = button
        return True

    async def _get_chat_menu_button(self, params: Params) -> JsonDict:
        chat_id = params.chat_id() if params.string("chat_id") is not None else None
        return copy.deepcopy(self.menu_buttons.get(chat_id) or {"type": "default"})


def _parse_commands(params: Params) -> list[JsonDict]:
    raw = params.json("commands", "commands")
    if not isinstance(raw, list) or len(raw) > 100:
        raise bad_request("can't parse commands JSON object")
    commands: list[JsonDict] = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request("can't parse commands JSON object")
        command, description = item.get("command"), item.get("description")
        if not isinstance(command, str) or not _COMMAND_NAME_RE.match(command.removeprefix("/")):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        commands.append({"command": command.removeprefix("/"), "description": description})
    return commands


def scope_key(scope: JsonDict | None = None) -> str:
    """The canonical JSON of a BotCommandScope, as used in :attr:`BotApiStandIn.commands` keys."""
    return json.dumps(scope or {"type": "default"}, sort_keys=True, separators=(",", ":"))


def _scope_key(params: Params) -> str:
    scope = params.json("scope", "BotCommandScope")
    if scope is not None and not (isinstance(scope, dict) and scope.get("type") in _SCOPE_TYPES):
        raise bad_request("can't parse BotCommandScope JSON object")
    return scope_key(scope)
