"""What the stand-in records for tests and the demo: messages the bot sent, callback answers it
gave, and updates users queued."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sim.telegram.constants import JsonDict
from sim.telegram.markup import inline_buttons
from sim.telegram.utf16 import utf16_slice


@dataclass(frozen=True)
class SentMessage:
    """A message the bot sent or edited, as Telegram accepted it (refused calls never appear)."""

    chat_id: int
    message_id: int
    text: str
    entities: list[JsonDict]
    reply_markup: JsonDict | None
    parse_mode: str | None
    method: str
    time: float
    media: bytes | None = None  # sendPhoto / sendDocument: the file's bytes (``text`` is the caption)
    media_name: str | None = None

    def entity_texts(self, entity_type: str) -> list[str]:
        """Texts covered by entities of ``entity_type`` (e.g. ``"code"``), cut by UTF-16 offsets."""
        return [
            utf16_slice(self.text, entity["offset"], entity["length"])
            for entity in self.entities
            if entity["type"] == entity_type
        ]

    @property
    def buttons(self) -> list[JsonDict]:
        """The inline keyboard's buttons, row after row (empty without an inline keyboard)."""
        return inline_buttons(self.reply_markup)

    def summary(self) -> str:
        """One line for logs and assertion messages."""
        text = self.text if len(self.text) <= 80 else f"{self.text[:77]}..."
        return f"#{self.message_id} {self.method}: {text!r}"


@dataclass(frozen=True)
class AnsweredCallback:
    """An answerCallbackQuery the bot made for a button press."""

    callback_query_id: str
    update_id: int
    user_id: int
    data: str | None
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None
    time: float


@dataclass(frozen=True)
class IncomingUpdate:
    """An update queued for the bot (what a user did), announced to ``on_update`` subscribers."""

    update_id: int
    user_id: int | None
    kind: str  # "message", "callback_query", ... (the update's type field)
    text: str | None  # message text or callback data
    payload: JsonDict


MessageCallback = Callable[[SentMessage], Awaitable[None] | None]
UpdateCallback = Callable[[IncomingUpdate], Awaitable[None] | None]
