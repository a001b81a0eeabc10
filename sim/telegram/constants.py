"""Who the stand-in's bot is, and the Bot API limits every part of the stand-in agrees on."""

from __future__ import annotations

from typing import Any

JsonDict = dict[str, Any]

BOT_ID = 7000000001
BOT_USERNAME = "tradeguard_test_bot"
BOT_FIRST_NAME = "TradeGuard"

MAX_MESSAGE_UTF16 = 4096
MAX_LONG_POLL_SECONDS = 50.0
SECRET_TOKEN_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def bot_user() -> JsonDict:
    """The bot's ``User`` object, as it appears in the ``from`` of its messages."""
    return {"id": BOT_ID, "is_bot": True, "first_name": BOT_FIRST_NAME, "username": BOT_USERNAME}
