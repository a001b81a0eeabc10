"""sendMessage, editMessageText, editMessageReplyMarkup and deleteMessage, checked as Telegram
checks them, and recorded in the transcript once accepted."""

from __future__ import annotations

import copy
import time
from typing import Any

from sim.telegram.chats import Chats
from sim.telegram.constants import BOT_ID, JsonDict, bot_user
from sim.telegram.errors import ApiError, bad_request
from sim.telegram.html_rules import FormattedText
from sim.telegram.markup import inline_markup, reply_markup
from sim.telegram.params import Handler, Params
from sim.telegram.ratelimit import FloodControl
from sim.telegram.records import SentMessage
from sim.telegram.text import compose_text
from sim.telegram.transcript import Transcript


class MessageMethods:
    """The bot's messages: ``strict_html`` as for :class:`BotApiStandIn`."""

    def __init__(
        self, chats: Chats, transcript: Transcript, flood: FloodControl, *, strict_html: bool
    ) -> None:
        self.strict_html = strict_html
        self._chats = chats
        self._transcript = transcript
        self._flood = flood

    def methods(self) -> dict[str, Handler]:
        return {
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
        }

    def _formatted(self, params: Params) -> FormattedText:
        return compose_text(
            params.string("text"),
            params.string("parse_mode"),
            params.json("entities", "entities"),
            strict=self.strict_html,
        )

    async def _send_message(self, params: Params) -> JsonDict:
        chat_id = params.chat_id()
        formatted = self._formatted(params)
        markup = reply_markup(params)
        if chat_id in self._chats.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        self._flood.enforce(chat_id, count_for_chat=True)
        message: JsonDict = {
            "message_id": self._chats.next_message_id(chat_id),
            "from": bot_user(),
            "chat": self._chats.chat_json(chat_id),
            "date": int(time.time()),
            "text": formatted.text,
        }
        _set_optional(message, "entities", formatted.entities)
        _set_optional(message, "reply_markup", inline_markup(markup))
        self._chats.store(message)
        await self._record_message(message, markup, params.string("parse_mode"), "sendMessage")
        return copy.deepcopy(message)

    def _editable(self, params: Params) -> JsonDict:
        if params.string("inline_message_id") is not None:
            raise bad_request("inline messages are not supported by the stand-in")
        chat_id, message_id = params.chat_id(), params.message_id()
        message = self._chats.messages.get((chat_id, message_id))
        if message is None:
            raise bad_request("message to edit not found")
        if message["from"].get("id") != BOT_ID:
            raise bad_request("message can't be edited")
        return message

    async def _edit_message_text(self, params: Params) -> JsonDict:
        message = self._editable(params)
        formatted = self._formatted(params)
        markup = reply_markup(params)
        edited = {**message, "text": formatted.text, "edit_date": int(time.time())}
        _set_optional(edited, "entities", formatted.entities)
        _set_optional(edited, "reply_markup", inline_markup(markup))
        _ensure_modified(message, edited)
        self._flood.enforce(message["chat"]["id"], count_for_chat=False)
        return await self._store_edit(edited, markup, params.string("parse_mode"), "editMessageText")

    async def _edit_message_reply_markup(self, params: Params) -> JsonDict:
        message = self._editable(params)
        markup = reply_markup(params)
        edited = {**message, "edit_date": int(time.time())}
        _set_optional(edited, "reply_markup", inline_markup(markup))
        _ensure_modified(message, edited)
        return await self._store_edit(edited, markup, None, "editMessageReplyMarkup")

    async def _store_edit(
        self, edited: JsonDict, markup: JsonDict | None, parse_mode: str | None, method: str
    ) -> JsonDict:
        self._chats.store(edited)
        await self._record_message(edited, markup, parse_mode, method)
        return copy.deepcopy(edited)

    async def _record_message(
        self, message: JsonDict, markup: JsonDict | None, parse_mode: str | None, method: str
    ) -> None:
        sent = SentMessage(
            chat_id=message["chat"]["id"],
            message_id=message["message_id"],
            text=message["text"],
            entities=copy.deepcopy(message.get("entities", [])),
            reply_markup=copy.deepcopy(markup),
            parse_mode=parse_mode,
            method=method,
            time=time.time(),
        )
        await self._transcript.record(sent)

    async def _delete_message(self, params: Params) -> bool:
        key = (params.chat_id(), params.message_id())
        if self._chats.messages.pop(key, None) is None:
            raise bad_request("message to delete not found")
        self._transcript.deleted.append(key)
        return True


def _set_optional(message: JsonDict, key: str, value: Any) -> None:
    """Telegram omits empty optional fields instead of sending null or []."""
    if value:
        message[key] = value
    else:
        message.pop(key, None)


def _ensure_modified(before: JsonDict, after: JsonDict) -> None:
    fields = ("text", "entities", "reply_markup")
    if all(before.get(name) == after.get(name) for name in fields):
        raise bad_request(
            "message is not modified: specified new message content and reply markup are exactly "
            "the same as a content and reply markup of the current message"
        )
