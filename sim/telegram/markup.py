"""Inline keyboards: validated as Telegram does, and read back from a message."""

from __future__ import annotations

import itertools
from typing import Any

from sim.telegram.constants import JsonDict
from sim.telegram.errors import bad_request
from sim.telegram.params import Params

_BUTTON_ACTIONS = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)


def _validate_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    for button in itertools.chain.from_iterable(rows):
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
        if not _BUTTON_ACTIONS.intersection(button):
            raise bad_request(
                "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
            )
        data = button.get("callback_data")
        if data is not None and not (isinstance(data, str) and 1 <= len(data.encode()) <= 64):
            raise bad_request("BUTTON_DATA_INVALID")


def reply_markup(params: Params) -> JsonDict | None:
    markup = params.json("reply_markup", "reply keyboard markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _validate_inline_keyboard(markup["inline_keyboard"])
    return markup


def inline_buttons(markup: JsonDict | None) -> list[JsonDict]:
    rows = (markup or {}).get("inline_keyboard") or []
    return [button for row in rows for button in row]


def inline_markup(markup: JsonDict | None) -> JsonDict | None:
    """Only inline keyboards are part of a Message object; reply keyboards are not echoed."""
    return markup if markup and "inline_keyboard" in markup else None
