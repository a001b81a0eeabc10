"""The chats the stand-in knows: who is in them, who blocked the bot, and every message as it
stands now (after edits), whoever sent it."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from sim.telegram.constants import JsonDict

if TYPE_CHECKING:
    from sim.telegram.users import SimUser


class Chats:
    """Message ids are counted per chat, as Telegram does in private chats."""

    def __init__(self) -> None:
        self.users: dict[int, SimUser] = {}
        self.blocked: set[int] = set()
        self.messages: dict[tuple[int, int], JsonDict] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}

    def next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def store(self, message: JsonDict) -> None:
        self.messages[(message["chat"]["id"], message["message_id"])] = message

    def chat_json(self, chat_id: int) -> JsonDict:
        """The ``Chat`` object of ``chat_id``: a simulated user's, or a plausible stranger's."""
        if chat_id in self.users:
            return self.users[chat_id].chat_json()
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": f"Chat {chat_id}"}
