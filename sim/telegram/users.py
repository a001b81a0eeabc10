"""A simulated Telegram user: the handle tests and the demo type and press buttons with."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sim.telegram.constants import JsonDict
from sim.telegram.records import SentMessage

if TYPE_CHECKING:
    from sim.telegram.standin import BotApiStandIn


class SimUser:
    """A Telegram user talking to the bot in a private chat (chat id == user id)."""

    def __init__(
        self,
        standin: BotApiStandIn,
        user_id: int,
        first_name: str = "Ann",
        language_code: str | None = "en",
        username: str | None = None,
    ) -> None:
        self.standin = standin
        self.user_id = user_id
        self.first_name = first_name
        self.language_code = language_code
        self.username = username

    @property
    def chat_id(self) -> int:
        return self.user_id

    def to_json(self) -> JsonDict:
        """The Telegram ``User`` object."""
        user: JsonDict = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def chat_json(self) -> JsonDict:
        """The Telegram ``Chat`` object of the private chat with the bot."""
        chat: JsonDict = {"id": self.user_id, "type": "private", "first_name": self.first_name}
        if self.username:
            chat["username"] = self.username
        return chat

    async def send(self, text: str) -> int:
        """Type ``text`` to the bot; returns the queued update's id."""
        return await self.standin.send_text(self.user_id, text)

    async def send_document(
        self, data: bytes, file_name: str | None, caption: str | None = None, mime_type: str | None = None
    ) -> int:
        """Send the bot a file, as a document (with an optional caption); returns the queued update's id."""
        return await self.standin.send_document(self.user_id, data, file_name, caption, mime_type)

    async def press(self, message: SentMessage, callback_data: str) -> int:
        """Press the inline button carrying ``callback_data``; returns the queued update's id."""
        return await self.standin.press(self.user_id, message, callback_data)

    @property
    def messages(self) -> list[SentMessage]:
        """Everything the bot sent or edited in this user's chat."""
        return self.standin.messages_to(self.user_id)

    async def wait_for_message(
        self,
        predicate: Callable[[SentMessage], bool] | None = None,
        timeout: float = 10.0,
        after: int | float | None = None,
    ) -> SentMessage:
        """See :meth:`BotApiStandIn.wait_for_message`."""
        return await self.standin.wait_for_message(self.user_id, predicate, timeout, after)
