"""What simulated users do: type a message, press an inline button, or anything else as a raw
update.  Each becomes an update queued for the bot."""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable

from sim.telegram.callbacks import CallbackQueries, PendingQuery
from sim.telegram.chats import Chats
from sim.telegram.constants import BOT_ID, JsonDict
from sim.telegram.markup import inline_buttons
from sim.telegram.records import SentMessage
from sim.telegram.updates import UpdateQueue, update_type
from sim.telegram.users import SimUser
from sim.telegram.utf16 import utf16_len

_BOT_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")


class UserActions:
    """``user_of`` finds a user by id, registering one with default details on first use."""

    def __init__(
        self, chats: Chats, queue: UpdateQueue, queries: CallbackQueries, user_of: Callable[[int], SimUser]
    ) -> None:
        self._user_of = user_of
        self._chats = chats
        self._queue = queue
        self._queries = queries

    async def send_text(self, user_id: int, text: str) -> int:
        """Queue a private message from ``user_id``; returns the update id."""
        user = self._user_of(user_id)
        message: JsonDict = {
            "message_id": self._chats.next_message_id(user_id),
            "from": user.to_json(),
            "chat": user.chat_json(),
            "date": int(time.time()),
            "text": text,
        }
        command = _BOT_COMMAND_RE.match(text)
        if command:
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command.group())}]
        self._chats.store(message)
        return await self._queue.enqueue("message", copy.deepcopy(message), user_id, text)

    async def press(self, user_id: int, message: SentMessage, callback_data: str) -> int:
        """Queue a callback_query for the inline button with ``callback_data`` on ``message``.

        The button must exist on the message's *current* inline keyboard (a real user cannot
        press anything else); the update carries the current message.  Returns the update id.
        """
        current = self._chats.messages.get((message.chat_id, message.message_id))
        if current is None:
            raise LookupError(f"message {message.message_id} in chat {message.chat_id} does not exist")
        buttons = inline_buttons(current.get("reply_markup"))
        if not any(button.get("callback_data") == callback_data for button in buttons):
            available = [button.get("callback_data") for button in buttons]
            raise LookupError(f"no button with callback_data {callback_data!r}; available: {available}")
        user = self._user_of(user_id)
        query_id = self._queries.new_id()
        query = {
            "id": query_id,
            "from": user.to_json(),
            "message": copy.deepcopy(current),
            "chat_instance": str(abs(message.chat_id) * 7919 + BOT_ID),
            "data": callback_data,
        }
        update_id = await self._queue.enqueue("callback_query", query, user_id, callback_data)
        self._queries.open(query_id, PendingQuery(update_id, user_id, callback_data))
        return update_id

    async def queue_update(self, update: JsonDict) -> int:
        """Queue an arbitrary update (its ``update_id`` is assigned here); returns the id."""
        kind = update_type(update)
        if not kind:
            raise ValueError("an update needs a payload field such as 'message'")
        return await self._queue.enqueue(kind, copy.deepcopy(update[kind]), None, None)
