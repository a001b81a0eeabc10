"""An offline stand-in for the Telegram Bot API.

Why it exists: mocking python-telegram-bot (PTB) classes proves little about a bot, because
the bugs that hurt in production live on the wire: HTML Telegram refuses to parse, entity
offsets counted in the wrong unit, 4096-character limits, 429 answers during a broadcast,
users who blocked the bot, long polling and webhooks.  This package serves the Bot API's HTTP
interface on loopback so the *real* PTB ``Bot`` / ``Application`` can be pointed at it::

    async with BotApiStandIn(token=TOKEN) as standin:
        app = ApplicationBuilder().token(TOKEN).base_url(f"{standin.url}/bot").build()
        ...
        user = standin.user(42, first_name="Ann")
        await user.send("/start")
        reply = await standin.wait_for_message(42)

It is used by the test-suite and by the offline ``tradeguard demo`` command.  It deliberately
covers only what the bot uses (text messages, inline keyboards, callbacks, commands, polling,
webhooks, files, Telegram Stars payments); any other method answers 404 like an unknown Telegram method.

One module per concern; :class:`BotApiStandIn` (``standin``) composes them:

* ``server``: the HTTP server and method routing; ``params``: a request's typed parameters;
  ``errors``: Telegram's error answers.
* ``html_parser`` and ``html_rules``: Telegram HTML; ``text``: message text rules;
  ``utf16``: entity offsets; ``markup``: inline keyboards.
* ``messages`` (send, edit, delete), ``callbacks`` (answerCallbackQuery), ``profile``
  (getMe, commands, menu button): the bot's methods; ``ratelimit``: flood control.
* ``updates`` (the queue), ``polling`` (getUpdates) and ``webhooks``: updates reaching the bot.
* ``users`` (:class:`SimUser`), ``actions`` (typing, pressing), ``chats``: the users' side.
* ``records`` and ``transcript``: what the bot did, and waiting for it.
* ``files`` (documents users send, getFile, the download URL, 20 MB for bots) and ``media``
  (sendPhoto, sendDocument: multipart uploads, recorded with their bytes as ``SentMessage.media``).
* ``payments``: Telegram Stars (sendInvoice, a user paying through a pre_checkout_query,
  answerPreCheckoutQuery, ``successful_payment``, refundStarPayment).

Known, documented deviations from Telegram:

* ``strict_html=True`` (the default) also refuses a bare ``&`` in text that does not start
  ``&lt;`` ``&gt;`` ``&amp;`` ``&quot;`` or a numeric reference.  Telegram shows such an ``&``
  literally, but it nearly always means interpolated text was not escaped, which a later ``<``
  turns into a production failure.  Pass ``strict_html=False`` for Telegram's exact behaviour.
* Webhooks may use ``http://`` URLs (Telegram demands HTTPS) so tests can receive on loopback.
* No automatic entities (urls, mentions, bot commands) are detected in the bot's own text.
"""

from __future__ import annotations

from sim.telegram.constants import (
    BOT_FIRST_NAME,
    BOT_ID,
    BOT_USERNAME,
    MAX_LONG_POLL_SECONDS,
    MAX_MESSAGE_UTF16,
    SECRET_TOKEN_HEADER,
    JsonDict,
)
from sim.telegram.errors import ApiError
from sim.telegram.html_parser import parse_html
from sim.telegram.html_rules import FormattedText, HtmlParseError
from sim.telegram.params import Handler
from sim.telegram.profile import scope_key
from sim.telegram.records import (
    AnsweredCallback,
    IncomingUpdate,
    MessageCallback,
    SentMessage,
    UpdateCallback,
)
from sim.telegram.standin import BotApiStandIn
from sim.telegram.text import compose_text
from sim.telegram.users import SimUser
from sim.telegram.utf16 import utf16_len, utf16_slice

__all__ = [
    "BOT_FIRST_NAME",
    "BOT_ID",
    "BOT_USERNAME",
    "MAX_LONG_POLL_SECONDS",
    "MAX_MESSAGE_UTF16",
    "SECRET_TOKEN_HEADER",
    "AnsweredCallback",
    "ApiError",
    "BotApiStandIn",
    "FormattedText",
    "Handler",
    "HtmlParseError",
    "IncomingUpdate",
    "JsonDict",
    "MessageCallback",
    "SentMessage",
    "SimUser",
    "UpdateCallback",
    "compose_text",
    "parse_html",
    "scope_key",
    "utf16_len",
    "utf16_slice",
]
