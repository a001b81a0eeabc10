"""An offline stand-in for the Telegram Bot API.

Why it exists: mocking python-telegram-bot (PTB) classes proves little about a bot, because
the bugs that hurt in production live on the wire: HTML Telegram refuses to parse, entity
offsets counted in the wrong unit, 4096-character limits, 429 answers during a broadcast,
users who blocked the bot, long polling and webhooks.  This module serves the Bot API's HTTP
interface on loopback so the *real* PTB ``Bot`` / ``Application`` can be pointed at it::

    async with BotApiStandIn(token=TOKEN) as standin:
        app = ApplicationBuilder().token(TOKEN).base_url(f"{standin.url}/bot").build()
        ...
        user = standin.user(42, first_name="Ann")
        await user.send("/start")
        reply = await standin.wait_for_message(42)

It is used by the test-suite and by the offline ``tradeguard demo`` command.  It deliberately
covers only what the bot uses (text messages, inline keyboards, callbacks, commands, polling,
webhooks); any other method answers 404 like an unknown Telegram method.

Known, documented deviations from Telegram:

* ``strict_html=True`` (the default) also refuses a bare ``&`` in text that does not start
  ``&lt;`` ``&gt;`` ``&amp;`` ``&quot;`` or a numeric reference.  Telegram shows such an ``&``
  literally, but it nearly always means interpolated text was not escaped, which a later ``<``
  turns into a production failure.  Pass ``strict_html=False`` for Telegram's exact behaviour.
* Webhooks may use ``http://`` URLs (Telegram demands HTTPS) so tests can receive on loopback.
* No automatic entities (urls, mentions, bot commands) are detected in the bot's own text.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import inspect
import itertools
import json
import logging
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar

from aiohttp import ClientError, ClientSession, ClientTimeout, web

__all__ = [
    "BOT_FIRST_NAME",
    "BOT_ID",
    "BOT_USERNAME",
    "AnsweredCallback",
    "BotApiStandIn",
    "FormattedText",
    "HtmlParseError",
    "IncomingUpdate",
    "SentMessage",
    "SimUser",
    "compose_text",
    "parse_html",
    "scope_key",
    "utf16_len",
    "utf16_slice",
]

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]
T = TypeVar("T")

BOT_ID = 7000000001
BOT_USERNAME = "tradeguard_test_bot"
BOT_FIRST_NAME = "TradeGuard"

MAX_MESSAGE_UTF16 = 4096
MAX_LONG_POLL_SECONDS = 50.0
SECRET_TOKEN_HEADER = "X-Telegram-Bot-Api-Secret-Token"

_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_BOT_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_COMMAND_NAME_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

# Update types Telegram withholds unless they are asked for explicitly in allowed_updates.
_OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

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


# --------------------------------------------------------------------------------------------
# Errors


class ApiError(Exception):
    """An error answer of the Bot API; raised inside method handlers, rendered by the dispatcher."""

    def __init__(self, code: int, description: str, parameters: JsonDict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> JsonDict:
        """The JSON body Telegram sends for this error."""
        body: JsonDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


# --------------------------------------------------------------------------------------------
# UTF-16 helpers: every entity offset and length in the Bot API is in UTF-16 code units, so an
# emoji outside the BMP counts twice.  Getting this wrong is the classic entity bug.


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The part of ``text`` an entity with this UTF-16 ``offset``/``length`` covers."""
    raw = text.encode("utf-16-le", "surrogatepass")
    return raw[2 * offset : 2 * (offset + length)].decode("utf-16-le", "surrogatepass")


# --------------------------------------------------------------------------------------------
# Telegram HTML.  A port of tdlib's parse_html (td/telegram/MessageEntity.cpp), the parser the
# Bot API runs: html.parser.HTMLParser is far too lenient (it accepts any tag, unclosed tags
# and every named entity), so a small hand tokenizer is the faithful choice.


class HtmlParseError(ValueError):
    """Why Telegram cannot parse the HTML; the text after "can't parse entities: "."""


@dataclass(frozen=True)
class FormattedText:
    """Message text with tags stripped and the entities Telegram would report for it."""

    text: str
    entities: list[JsonDict]


_SPACES = frozenset(" \t\r\n\v\f\0")
_SPECIAL_CHAR = re.compile(r"[&<]")
_NUMERIC_REF = re.compile(r"#(?:x([0-9a-fA-F]+)|([0-9]+))")
_NAMED_REF = re.compile(r"[A-Za-z]*")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",  # only <span class="tg-spoiler"> gets this far
}
# tdlib's ordering of entities that start at the same offset with the same length.
_TYPE_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}
_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def parse_html(source: str, *, strict: bool = True) -> FormattedText:
    """Parse Telegram-flavoured HTML exactly as the Bot API does.

    Raises :class:`HtmlParseError` carrying Telegram's reason (byte offsets are UTF-8 byte
    offsets into ``source``, as Telegram reports them).  ``strict`` additionally refuses a
    bare ``&``; see the module docstring for why that is the default.
    """
    return _HtmlParser(source, strict=strict).parse()


def _decode_entity(src: str, pos: int) -> tuple[str, int] | None:
    """Decode the character reference starting at ``src[pos] == "&"`` as tdlib does.

    Returns the character and the position after the reference (the ``;`` is optional), or
    ``None`` when the ``&`` does not start a supported reference.
    """
    numeric = _NUMERIC_REF.match(src, pos + 1)
    if numeric:
        hex_digits, dec_digits = numeric.groups()
        significant = (hex_digits or dec_digits).lstrip("0")
        if not significant or len(significant) > 7:
            return None
        value = int(significant, 16 if hex_digits else 10)
        if value >= 0x10FFFF or 0xD800 <= value <= 0xDFFF:
            return None
        char, end = chr(value), numeric.end()
    else:
        name = _NAMED_REF.match(src, pos + 1)
        assert name is not None  # [A-Za-z]* always matches
        if name.group() not in _NAMED_ENTITIES:
            return None
        char, end = _NAMED_ENTITIES[name.group()], name.end()
    if src.startswith(";", end):
        end += 1
    return char, end


def _normalise_url(url: str) -> str | None:
    """The URL Telegram stores for a text_link, or ``None`` when it would drop the link."""
    url = url.strip()
    if not url or any(char.isspace() for char in url):
        return None
    scheme = _URL_SCHEME.match(url)
    if scheme is None:
        if "." not in url.split("/", 1)[0]:
            return None
        url = f"http://{url}"
    elif scheme.group(1).lower() in ("tg", "ton"):
        return url
    elif scheme.group(1).lower() not in ("http", "https"):
        return None
    rest = url.split("://", 1)[1] if "://" in url else ""
    if not rest:
        return None
    if not any(sep in rest for sep in "/?#"):
        url += "/"
    return url


def _entity_sort_key(entity: JsonDict) -> tuple[int, int, int]:
    return entity["offset"], -entity["length"], _TYPE_PRIORITY.get(entity["type"], 50)


def _drop_entities_inside_code(entities: list[JsonDict]) -> list[JsonDict]:
    """Telegram: "pre and code entities can't contain other entities"; inner ones are dropped."""
    kept: list[JsonDict] = []
    code_spans: list[tuple[int, int]] = []
    for entity in entities:
        start, end = entity["offset"], entity["offset"] + entity["length"]
        if any(span_start <= start and end <= span_end for span_start, span_end in code_spans):
            continue
        if entity["type"] in ("pre", "code"):
            code_spans.append((start, end))
        kept.append(entity)
    return kept


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    out_index: int  # where the tag's inner text starts in the output chunks


class _HtmlParser:
    """Single-use tokenizer; mirrors tdlib's state machine so errors match Telegram's."""

    def __init__(self, source: str, *, strict: bool) -> None:
        self._src = source
        self._strict = strict
        self._pos = 0
        self._out: list[str] = []
        self._utf16 = 0
        self._open: list[_OpenTag] = []
        self._entities: list[JsonDict] = []

    def parse(self) -> FormattedText:
        while self._pos < len(self._src):
            special = _SPECIAL_CHAR.search(self._src, self._pos)
            end = special.start() if special else len(self._src)
            self._emit(self._src[self._pos : end])
            self._pos = end
            if special is None:
                break
            if self._src[end] == "&":
                self._read_ampersand()
            else:
                self._read_tag()
        if self._open:
            raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{self._open[-1].name}"')
        for entity in self._entities:
            if entity["type"] == "code":
                entity.pop("language", None)  # only <pre><code class=...> keeps a language
        ordered = sorted(self._entities, key=_entity_sort_key)
        return FormattedText("".join(self._out), _drop_entities_inside_code(ordered))

    # -- text ---------------------------------------------------------------------------------

    def _emit(self, chunk: str) -> None:
        if chunk:
            self._out.append(chunk)
            self._utf16 += utf16_len(chunk)

    def _byte_offset(self, pos: int) -> int:
        return len(self._src[:pos].encode("utf-8", "surrogatepass"))

    def _read_ampersand(self) -> None:
        decoded = _decode_entity(self._src, self._pos)
        if decoded is not None:
            char, self._pos = decoded
            self._emit(char)
            return
        if self._strict:
            raise HtmlParseError(
                f"Character '&' at byte offset {self._byte_offset(self._pos)} does not start an "
                "entity; escape it as &amp; (stand-in strict mode)"
            )
        self._emit("&")
        self._pos += 1

    # -- tags ---------------------------------------------------------------------------------

    def _skip_spaces(self, i: int) -> int:
        while i < len(self._src) and self._src[i] in _SPACES:
            i += 1
        return i

    def _skip_word(self, i: int, stops: str) -> int:
        while i < len(self._src) and self._src[i] not in _SPACES and self._src[i] not in stops:
            i += 1
        return i

    def _unclosed_start_tag(self, begin: int) -> HtmlParseError:
        return HtmlParseError(f"Unclosed start tag at byte offset {self._byte_offset(begin)}")

    def _read_tag(self) -> None:
        begin = self._pos
        if self._src.startswith("/", begin + 1):
            self._read_end_tag(begin)
        else:
            self._read_start_tag(begin)

    def _read_start_tag(self, begin: int) -> None:
        i = self._skip_word(begin + 1, ">")
        if i >= len(self._src):
            raise self._unclosed_start_tag(begin)
        name = self._src[begin + 1 : i].lower()
        if name not in _ALLOWED_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {self._byte_offset(begin)}')
        argument, i = self._read_attributes(name, begin, i)
        if name == "span" and argument != "spoiler":
            raise HtmlParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self._byte_offset(begin)}'
            )
        self._open.append(_OpenTag(name, argument, self._utf16, len(self._out)))
        self._pos = i + 1

    def _read_attributes(self, tag: str, begin: int, i: int) -> tuple[str, int]:
        """Read attributes up to the closing ``>``; returns the tag's argument and its index."""
        argument = ""
        while True:
            i = self._skip_spaces(i)
            if i >= len(self._src):
                raise self._unclosed_start_tag(begin)
            if self._src[i] == ">":
                return argument, i
            name_start = i
            i = self._skip_word(i, "=>")
            attribute = self._src[name_start:i].lower()
            if not attribute:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {self._byte_offset(begin)}'
                )
            i = self._skip_spaces(i)
            value: str | None = None
            if i < len(self._src) and self._src[i] == "=":
                value, i = self._read_attribute_value(begin, i + 1)
            argument = _tag_argument(tag, attribute, value, argument)

    def _read_attribute_value(self, begin: int, i: int) -> tuple[str, int]:
        i = self._skip_spaces(i)
        if i >= len(self._src):
            raise self._unclosed_start_tag(begin)
        quote = self._src[i]
        if quote in "\"'":
            return self._read_quoted_value(begin, i + 1, quote)
        start = i
        while i < len(self._src) and (
            (self._src[i].isascii() and self._src[i].isalnum()) or self._src[i] in ".-"
        ):
            i += 1
        if i >= len(self._src):
            raise self._unclosed_start_tag(begin)
        if self._src[i] not in _SPACES and self._src[i] != ">":
            raise HtmlParseError(f"Unexpected end of name token at byte offset {self._byte_offset(start)}")
        return self._src[start:i].lower(), i

    def _read_quoted_value(self, begin: int, i: int, quote: str) -> tuple[str, int]:
        chars: list[str] = []
        while i < len(self._src) and self._src[i] != quote:
            decoded = _decode_entity(self._src, i) if self._src[i] == "&" else None
            if decoded is not None:
                chars.append(decoded[0])
                i = decoded[1]
            else:
                chars.append(self._src[i])
                i += 1
        if i >= len(self._src):
            raise self._unclosed_start_tag(begin)
        return "".join(chars), i + 1

    def _read_end_tag(self, begin: int) -> None:
        if not self._open:
            raise HtmlParseError(f"Unexpected end tag at byte offset {self._byte_offset(begin)}")
        i = self._skip_word(begin + 2, ">")
        name = self._src[begin + 2 : i].lower()
        i = self._skip_spaces(i)
        if i >= len(self._src) or self._src[i] != ">":
            raise HtmlParseError(f"Unclosed end tag at byte offset {self._byte_offset(begin)}")
        top = self._open[-1]
        if name and name != top.name:
            raise HtmlParseError(
                f"Unmatched end tag at byte offset {self._byte_offset(begin)}, "
                f'expected "</{top.name}>", found "</{name}>"'
            )
        self._open.pop()
        self._close(top)
        self._pos = i + 1

    # -- entities -----------------------------------------------------------------------------

    def _close(self, tag: _OpenTag) -> None:
        offset, length = tag.utf16_offset, self._utf16 - tag.utf16_offset
        if length <= 0:
            return  # Telegram drops empty entities
        last = self._entities[-1] if self._entities else None
        same_span = last is not None and last["offset"] == offset and last["length"] == length
        if last is not None and same_span and self._merge_pre_code(tag, last):
            return
        entity = self._make_entity(tag, offset, length)
        if entity is not None:
            self._entities.append(entity)

    @staticmethod
    def _merge_pre_code(tag: _OpenTag, last: JsonDict) -> bool:
        """``<pre><code class="language-x">`` is one pre entity with a language, as in tdlib."""
        if tag.name == "pre" and last["type"] == "code" and last.get("language"):
            last["type"] = "pre"
            return True
        if tag.name == "code" and last["type"] == "pre" and tag.argument and "language" not in last:
            last["language"] = tag.argument
            return True
        return False

    def _make_entity(self, tag: _OpenTag, offset: int, length: int) -> JsonDict | None:
        entity: JsonDict = {"type": "", "offset": offset, "length": length}
        if tag.name in _SIMPLE_TAG_TYPES:
            entity["type"] = _SIMPLE_TAG_TYPES[tag.name]
        elif tag.name == "a":
            url = _normalise_url(tag.argument or "".join(self._out[tag.out_index :]))
            if url is None:
                return None  # Telegram silently drops links it cannot use
            entity.update(type="text_link", url=url)
        elif tag.name == "code":
            entity["type"] = "code"
            if tag.argument:
                entity["language"] = tag.argument  # consumed by an enclosing <pre>, else dropped
        elif tag.name == "pre":
            entity["type"] = "pre"
        elif tag.name == "blockquote":
            entity["type"] = "expandable_blockquote" if tag.argument else "blockquote"
        else:  # tg-emoji
            if not tag.argument.isdigit() or int(tag.argument) == 0:
                raise HtmlParseError("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=tag.argument)
        return entity


def _tag_argument(tag: str, attribute: str, value: str | None, current: str) -> str:
    """The one attribute value each tag cares about; everything else is ignored, as in tdlib."""
    if tag == "a" and attribute == "href":
        return value or ""
    if tag == "code" and attribute == "class" and value and value.startswith("language-"):
        return value[len("language-") :]
    if tag == "span" and attribute == "class" and value and value.startswith("tg-"):
        return value[len("tg-") :]
    if tag == "tg-emoji" and attribute == "emoji-id":
        return value or ""
    if tag == "blockquote" and attribute == "expandable":
        return "expandable"
    return current


# --------------------------------------------------------------------------------------------
# Message text rules shared by sendMessage and editMessageText.

_TRIMMED = " \t\r\n"


def _trim(formatted: FormattedText) -> FormattedText:
    """Telegram strips leading/trailing whitespace from messages and clips entities to match."""
    text = formatted.text
    body = text.strip(_TRIMMED)
    if body == text:
        return formatted
    removed_left = utf16_len(text[: len(text) - len(text.lstrip(_TRIMMED))])
    size = utf16_len(body)
    entities: list[JsonDict] = []
    for entity in formatted.entities:
        start = max(entity["offset"] - removed_left, 0)
        end = min(entity["offset"] + entity["length"] - removed_left, size)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return FormattedText(body, entities)


def _explicit_entities(raw: Any, text: str) -> list[JsonDict]:
    """Validate an ``entities`` parameter sent instead of a parse_mode."""
    if not isinstance(raw, list):
        raise _bad_request("can't parse entities JSON object")
    size = utf16_len(text)
    entities: list[JsonDict] = []
    for item in raw:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("type"), str)
            and type(item.get("offset")) is int
            and type(item.get("length")) is int
        ):
            raise _bad_request("can't parse entities JSON object")
        if item["offset"] >= 0 and item["length"] > 0 and item["offset"] + item["length"] <= size:
            entities.append(dict(item))
    return sorted(entities, key=_entity_sort_key)


def compose_text(text: str | None, parse_mode: str | None, entities: Any, *, strict: bool) -> FormattedText:
    """Turn sendMessage/editMessageText parameters into the stored text, or raise Telegram's error."""
    if not text:
        raise _bad_request("message text is empty")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _bad_request("text must be encoded in UTF-8") from None
    if entities is not None:
        formatted = FormattedText(text, _explicit_entities(entities, text))
    elif not parse_mode:
        formatted = FormattedText(text, [])
    elif parse_mode.lower() == "html":
        try:
            formatted = parse_html(text, strict=strict)
        except HtmlParseError as exc:
            raise _bad_request(f"can't parse entities: {exc}") from None
    else:
        raise _bad_request(f"unsupported parse_mode {parse_mode!r} (the stand-in implements HTML only)")
    formatted = _trim(formatted)
    if not formatted.text:
        raise _bad_request("message text is empty")
    if utf16_len(formatted.text) > MAX_MESSAGE_UTF16:
        raise _bad_request("message is too long")
    return formatted


# --------------------------------------------------------------------------------------------
# Rate limiting


class _SlidingWindow:
    """Times of accepted calls within the last ``period`` seconds."""

    def __init__(self, limit: int, period: float) -> None:
        self._limit = limit
        self._period = period
        self._times: deque[float] = deque()

    def evict(self, now: float) -> None:
        while self._times and self._times[0] <= now - self._period:
            self._times.popleft()

    def retry_after(self, now: float) -> int | None:
        """Seconds until one more call fits, or ``None`` if it fits now."""
        self.evict(now)
        if len(self._times) < self._limit:
            return None
        return max(1, math.ceil(self._times[0] + self._period - now))

    def add(self, now: float) -> None:
        self._times.append(now)

    @property
    def idle(self) -> bool:
        return not self._times


class _RateLimiter:
    """Telegram's flood control: a global per-second budget plus a per-chat per-minute one."""

    def __init__(
        self, global_rate: int | None, per_chat_per_minute: int | None, clock: Callable[[], float]
    ) -> None:
        self._global = _SlidingWindow(global_rate, 1.0) if global_rate else None
        self._per_chat_limit = per_chat_per_minute
        self._chats: dict[int, _SlidingWindow] = {}
        self._clock = clock

    def admit(self, chat_id: int, *, count_for_chat: bool) -> int | None:
        """Record the call and return ``None``, or return ``retry_after`` without recording it."""
        now = self._clock()
        windows = [self._global] if self._global is not None else []
        if count_for_chat and self._per_chat_limit:
            windows.append(self._chats.setdefault(chat_id, _SlidingWindow(self._per_chat_limit, 60.0)))
        waits = [wait for window in windows if (wait := window.retry_after(now)) is not None]
        if waits:
            return max(waits)
        for window in windows:
            window.add(now)
        self._forget_idle_chats(now)
        return None

    def _forget_idle_chats(self, now: float) -> None:
        """Keep memory bounded in long demos: windows with no recent calls carry no state."""
        if len(self._chats) <= 1000:
            return
        for chat_id, window in list(self._chats.items()):
            window.evict(now)
            if window.idle:
                del self._chats[chat_id]


# --------------------------------------------------------------------------------------------
# Records exposed to tests and to the demo


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
        return _inline_buttons(self.reply_markup)

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


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: frozenset[str] | None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass(frozen=True)
class _PendingQuery:
    update_id: int
    user_id: int
    data: str


MessageCallback = Callable[[SentMessage], Awaitable[None] | None]
UpdateCallback = Callable[[IncomingUpdate], Awaitable[None] | None]


async def _notify_all(callbacks: Iterable[Callable[[T], Awaitable[None] | None]], item: T) -> None:
    """Call subscribers in order; a failing subscriber is logged and never breaks the API."""
    for callback in list(callbacks):
        try:
            result = callback(item)
            if inspect.isawaitable(result):
                await result
        except Exception:
            logger.exception("stand-in subscriber %r failed", callback)


class _Signal:
    """Wakes every current waiter at once.  Lock-free, unlike Condition: waiters re-check state."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self) -> None:
        await self._event.wait()


# --------------------------------------------------------------------------------------------
# Request parameters


class _Params:
    """Typed access to a request's parameters whatever the encoding.

    PTB posts ``application/x-www-form-urlencoded`` (``multipart/form-data`` when a file is
    attached) in which every non-string value arrives JSON-encoded as a string; other clients
    post JSON or use a query string.  The accessors accept all of them.
    """

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def _get(self, name: str) -> Any:
        value = self._values.get(name)
        return None if value == "" else value

    def string(self, name: str) -> str | None:
        value = self._get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise _bad_request(f'field "{name}" must be of type String')

    def integer(self, name: str) -> int | None:
        value = self._get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            raise _bad_request(f'field "{name}" must be of type Integer')
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return int(value)
        raise _bad_request(f'field "{name}" must be of type Integer')

    def number(self, name: str) -> float | None:
        value = self._get(name)
        if value is None:
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise _bad_request(f'field "{name}" must be of type Number') from None
        if not math.isfinite(number):
            raise _bad_request(f'field "{name}" must be of type Number')
        return number

    def flag(self, name: str) -> bool:
        value = self._get(name)
        return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))

    def json(self, name: str, what: str) -> Any:
        """A JSON-typed parameter (reply_markup, entities, scope, ...), decoded if it is a string."""
        value = self._get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise _bad_request(f"can't parse {what} JSON object") from None

    def chat_id(self) -> int:
        value = self._get("chat_id")
        if value is None:
            raise _bad_request("chat_id is empty")
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise _bad_request("chat not found")
        try:
            return int(value)
        except ValueError:
            raise _bad_request("chat not found") from None  # "@username" of an unknown chat

    def message_id(self) -> int:
        message_id = self.integer("message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        return message_id


async def _read_params(request: web.Request) -> _Params:
    values: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.body_exists:
        return _Params(values)
    try:
        if request.content_type == "application/json":
            body = json.loads(await request.text())
            if not isinstance(body, dict):
                raise ValueError("not an object")
            values.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            values.update((key, value) for key, value in form.items() if isinstance(value, str))
    except ValueError:  # includes UnicodeDecodeError and JSONDecodeError
        raise _bad_request("can't parse request body") from None
    return _Params(values)


# --------------------------------------------------------------------------------------------
# Markup and command validation


def _validate_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    for button in itertools.chain.from_iterable(rows):
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise _bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
        if not _BUTTON_ACTIONS.intersection(button):
            raise _bad_request(
                "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
            )
        data = button.get("callback_data")
        if data is not None and not (isinstance(data, str) and 1 <= len(data.encode()) <= 64):
            raise _bad_request("BUTTON_DATA_INVALID")


def _reply_markup(params: _Params) -> JsonDict | None:
    markup = params.json("reply_markup", "reply keyboard markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _validate_inline_keyboard(markup["inline_keyboard"])
    return markup


def _inline_buttons(markup: JsonDict | None) -> list[JsonDict]:
    rows = (markup or {}).get("inline_keyboard") or []
    return [button for row in rows for button in row]


def _inline_markup(markup: JsonDict | None) -> JsonDict | None:
    """Only inline keyboards are part of a Message object; reply keyboards are not echoed."""
    return markup if markup and "inline_keyboard" in markup else None


def _parse_commands(params: _Params) -> list[JsonDict]:
    raw = params.json("commands", "commands")
    if not isinstance(raw, list) or len(raw) > 100:
        raise _bad_request("can't parse commands JSON object")
    commands: list[JsonDict] = []
    for item in raw:
        if not isinstance(item, dict):
            raise _bad_request("can't parse commands JSON object")
        command, description = item.get("command"), item.get("description")
        if not isinstance(command, str) or not _COMMAND_NAME_RE.match(command.removeprefix("/")):
            raise _bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        commands.append({"command": command.removeprefix("/"), "description": description})
    return commands


def scope_key(scope: JsonDict | None = None) -> str:
    """The canonical JSON of a BotCommandScope, as used in :attr:`BotApiStandIn.commands` keys."""
    return json.dumps(scope or {"type": "default"}, sort_keys=True, separators=(",", ":"))


def _scope_key(params: _Params) -> str:
    scope = params.json("scope", "BotCommandScope")
    if scope is not None and not (isinstance(scope, dict) and scope.get("type") in _SCOPE_TYPES):
        raise _bad_request("can't parse BotCommandScope JSON object")
    return scope_key(scope)


def _allowed_updates(params: _Params) -> frozenset[str] | None:
    raw = params.json("allowed_updates", "allowed updates")
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(kind, str) for kind in raw):
        raise _bad_request("can't parse allowed updates JSON object")
    return frozenset(raw)


def _update_type(update: JsonDict) -> str:
    return next((key for key in update if key != "update_id"), "")


def _is_allowed(update: JsonDict, allowed: frozenset[str] | None) -> bool:
    kind = _update_type(update)
    return kind in allowed if allowed else kind not in _OPT_IN_UPDATE_TYPES


# --------------------------------------------------------------------------------------------
# Simulated users


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


# --------------------------------------------------------------------------------------------
# The server


Handler = Callable[[_Params], Awaitable[Any]]


class BotApiStandIn:
    """A loopback HTTP server speaking the Telegram Bot API, plus a control API for tests.

    Wire PTB to it with ``base_url=f"{standin.url}/bot"``: PTB requests
    ``{base_url}{token}/{method}``.  Everything runs on the caller's event loop; the control
    methods are plain Python and need no HTTP.

    ``global_rate`` caps sendMessage/editMessageText calls in any sliding second and
    ``per_chat_per_minute`` caps sendMessage calls to one chat in any sliding minute (``None``
    disables either).  ``clock`` (monotonic seconds) exists so rate limits can be tested
    deterministically.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        global_rate: int | None = 30,
        per_chat_per_minute: int | None = 20,
        strict_html: bool = True,
        webhook_retry_delay: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.strict_html = strict_html
        self.sent: list[SentMessage] = []
        self.answered_callbacks: list[AnsweredCallback] = []
        self.deleted: list[tuple[int, int]] = []
        self.commands: dict[tuple[str, str], list[JsonDict]] = {}
        self.menu_buttons: dict[int | None, JsonDict] = {}
        self.rate_limited_count = 0
        self.get_updates_calls = 0  # lets tests know a long poll has reached the server
        self._rate = _RateLimiter(global_rate, per_chat_per_minute, clock)
        self._webhook_retry_delay = webhook_retry_delay
        self._users: dict[int, SimUser] = {}
        self._blocked: set[int] = set()
        self._messages: dict[tuple[int, int], JsonDict] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._update_ids = itertools.count(100_000_001)
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self._pending: list[JsonDict] = []
        self._open_queries: dict[str, _PendingQuery] = {}
        self._poll_allowed: frozenset[str] | None = None
        self._poll_generation = 0
        self._webhook: _Webhook | None = None
        self._updates_signal = _Signal()
        self._records_signal = _Signal()
        self._message_subscribers: list[MessageCallback] = []
        self._update_subscribers: list[UpdateCallback] = []
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._url: str | None = None
        self._closing = False
        self._methods = self._method_table()

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port`` (0 picks a free port; read :attr:`url` afterwards)."""
        if self._runner is not None or self._closing:
            raise RuntimeError("BotApiStandIn can be started once")
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        # access_log=None: a stand-in must not flood test output; shutdown_timeout: stop() has
        # already released long polls, so in-flight handlers finish at once.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        self._url = f"http://{f'[{bound_host}]' if ':' in bound_host else bound_host}:{bound_port}"
        self._session = ClientSession(timeout=ClientTimeout(total=10), trust_env=False)
        self._webhook_task = asyncio.create_task(self._deliver_webhooks(), name="standin-webhooks")

    async def stop(self) -> None:
        """Release long polls, stop webhook delivery and close the server.  Idempotent."""
        self._closing = True
        self._updates_signal.notify()
        self._records_signal.notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Base URL of the server, e.g. ``http://127.0.0.1:54321``."""
        if self._url is None:
            raise RuntimeError("BotApiStandIn is not started")
        return self._url

    @property
    def webhook_secret_token(self) -> str | None:
        """The secret_token of the current setWebhook (sent with every webhook POST), if any."""
        return self._webhook.secret_token if self._webhook is not None else None

    @property
    def bot_user(self) -> JsonDict:
        """The bot's ``User`` object, as it appears in the ``from`` of its messages."""
        return {"id": BOT_ID, "is_bot": True, "first_name": BOT_FIRST_NAME, "username": BOT_USERNAME}

    # -- control API: users and their actions ------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Ann",
        language_code: str | None = "en",
        username: str | None = None,
    ) -> SimUser:
        """Create (or redefine) a simulated user whose private chat has id ``user_id``."""
        user = SimUser(self, user_id, first_name, language_code, username)
        self._users[user_id] = user
        return user

    def block(self, chat_id: int) -> None:
        """From now on, sendMessage to ``chat_id`` answers 403 "bot was blocked by the user"."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    async def send_text(self, user_id: int, text: str) -> int:
        """Queue a private message from ``user_id`` (registered on first use); returns the update id."""
        user = self._users.get(user_id) or self.user(user_id)
        message: JsonDict = {
            "message_id": self._next_message_id(user_id),
            "from": user.to_json(),
            "chat": user.chat_json(),
            "date": int(time.time()),
            "text": text,
        }
        command = _BOT_COMMAND_RE.match(text)
        if command:
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command.group())}]
        self._messages[(user_id, message["message_id"])] = message
        return await self._enqueue("message", copy.deepcopy(message), user_id, text)

    async def press(self, user_id: int, message: SentMessage, callback_data: str) -> int:
        """Queue a callback_query for the inline button with ``callback_data`` on ``message``.

        The button must exist on the message's *current* inline keyboard (a real user cannot
        press anything else); the update carries the current message.  Returns the update id.
        """
        current = self._messages.get((message.chat_id, message.message_id))
        if current is None:
            raise LookupError(f"message {message.message_id} in chat {message.chat_id} does not exist")
        buttons = _inline_buttons(current.get("reply_markup"))
        if not any(button.get("callback_data") == callback_data for button in buttons):
            available = [button.get("callback_data") for button in buttons]
            raise LookupError(f"no button with callback_data {callback_data!r}; available: {available}")
        user = self._users.get(user_id) or self.user(user_id)
        query_id = str(next(self._query_ids))
        query = {
            "id": query_id,
            "from": user.to_json(),
            "message": copy.deepcopy(current),
            "chat_instance": str(abs(message.chat_id) * 7919 + BOT_ID),
            "data": callback_data,
        }
        update_id = await self._enqueue("callback_query", query, user_id, callback_data)
        self._open_queries[query_id] = _PendingQuery(update_id, user_id, callback_data)
        return update_id

    async def queue_update(self, update: JsonDict) -> int:
        """Queue an arbitrary update (its ``update_id`` is assigned here); returns the id."""
        kind = _update_type(update)
        if not kind:
            raise ValueError("an update needs a payload field such as 'message'")
        return await self._enqueue(kind, copy.deepcopy(update[kind]), None, None)

    @property
    def pending_updates(self) -> list[JsonDict]:
        """Updates queued and not yet confirmed by the bot (copies)."""
        return copy.deepcopy(self._pending)

    # -- control API: what the bot did --------------------------------------------------------

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        """Everything the bot sent or edited in ``chat_id``, oldest first."""
        return [sent for sent in self.sent if sent.chat_id == chat_id]

    def current_message(self, chat_id: int, message_id: int) -> JsonDict | None:
        """The message as it stands now (after edits), or ``None`` if deleted or unknown."""
        message = self._messages.get((chat_id, message_id))
        return copy.deepcopy(message) if message is not None else None

    def commands_for(self, scope: JsonDict | None = None, language_code: str = "") -> list[JsonDict]:
        """What setMyCommands recorded for ``scope`` (default scope) and ``language_code``."""
        return self.commands.get((scope_key(scope), language_code), [])

    def mark(self) -> int:
        """A position in :attr:`sent`; pass it as ``after=`` to ignore what was sent before."""
        return len(self.sent)

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: Callable[[SentMessage], bool] | None = None,
        timeout: float = 10.0,
        after: int | float | None = None,
    ) -> SentMessage:
        """The first message recorded for ``chat_id`` that satisfies ``predicate``.

        ``after`` restricts the search to records at index >= ``after`` when it is an ``int``
        (see :meth:`mark`) or with ``time`` > ``after`` when it is a ``float`` (wall clock).
        Raises ``TimeoutError`` listing what *was* sent to the chat.
        """

        def find() -> SentMessage | None:
            for index, sent in enumerate(self.sent):
                if sent.chat_id != chat_id or not _is_after(index, sent, after):
                    continue
                if predicate is None or predicate(sent):
                    return sent
            return None

        def explain() -> str:
            wanted = f" matching {getattr(predicate, '__name__', predicate)}" if predicate else ""
            sent = [f"  [{i}] {m.summary()}" for i, m in enumerate(self.sent) if m.chat_id == chat_id]
            listing = "\n".join(sent) if sent else "  (nothing)"
            return (
                f"no message to chat {chat_id}{wanted} (after={after}) within {timeout}s; "
                f"sent to that chat:\n{listing}"
            )

        return await self._wait_until(find, timeout, explain)

    async def wait_for_callback_answer(self, update_id: int, timeout: float = 10.0) -> AnsweredCallback:
        """The bot's answerCallbackQuery for the press queued as ``update_id``."""

        def find() -> AnsweredCallback | None:
            return next((a for a in self.answered_callbacks if a.update_id == update_id), None)

        def explain() -> str:
            return f"callback query of update {update_id} was not answered within {timeout}s"

        return await self._wait_until(find, timeout, explain)

    def on_message(self, callback: MessageCallback) -> Callable[[], None]:
        """Call ``callback`` (sync or async) with every recorded SentMessage; returns an unsubscriber."""
        self._message_subscribers.append(callback)
        return lambda: _discard(self._message_subscribers, callback)

    def on_update(self, callback: UpdateCallback) -> Callable[[], None]:
        """Call ``callback`` (sync or async) with every queued IncomingUpdate; returns an unsubscriber."""
        self._update_subscribers.append(callback)
        return lambda: _discard(self._update_subscribers, callback)

    # -- internals shared by control API and methods ------------------------------------------

    async def _wait_until(
        self, find: Callable[[], T | None], timeout: float, explain: Callable[[], str]
    ) -> T:
        try:
            async with asyncio.timeout(timeout):
                while (found := find()) is None:
                    await self._records_signal.wait()
                return found
        except TimeoutError:
            raise TimeoutError(explain()) from None

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    async def _enqueue(self, kind: str, payload: Any, user_id: int | None, text: str | None) -> int:
        update_id = next(self._update_ids)
        update = {"update_id": update_id, kind: payload}
        self._pending.append(update)
        self._updates_signal.notify()
        incoming = IncomingUpdate(update_id, user_id, kind, text, copy.deepcopy(update))
        await _notify_all(self._update_subscribers, incoming)
        return update_id

    async def _record(self, sent: SentMessage) -> None:
        self.sent.append(sent)
        self._records_signal.notify()
        await _notify_all(self._message_subscribers, sent)

    def _chat_json(self, chat_id: int) -> JsonDict:
        if chat_id in self._users:
            return self._users[chat_id].chat_json()
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": f"Chat {chat_id}"}

    def _enforce_rate(self, chat_id: int, *, count_for_chat: bool) -> None:
        retry_after = self._rate.admit(chat_id, count_for_chat=count_for_chat)
        if retry_after is not None:
            self.rate_limited_count += 1
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})

    # -- HTTP dispatch ------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        try:
            self._check_token(request.match_info["token"])
            handler = self._methods.get(request.match_info["method"].lower())
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = await handler(await _read_params(request))
        except ApiError as exc:
            return web.json_response(exc.payload(), status=exc.code)
        except web.HTTPRequestEntityTooLarge:
            return web.json_response(ApiError(413, "Request Entity Too Large").payload(), status=413)
        except Exception:
            logger.exception("stand-in failed on %s", request.path)
            body = ApiError(500, "Internal Server Error: stand-in bug, see log").payload()
            return web.json_response(body, status=500)
        return web.json_response({"ok": True, "result": result})

    async def _not_found(self, request: web.Request) -> web.Response:
        return web.json_response(ApiError(404, "Not Found").payload(), status=404)

    def _check_token(self, token: str) -> None:
        if not _TOKEN_RE.match(token):
            raise ApiError(404, "Not Found")  # Telegram: malformed token -> 404
        if self.token is not None and token != self.token:
            raise ApiError(401, "Unauthorized")

    def _method_table(self) -> dict[str, Handler]:
        methods: dict[str, Handler] = {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
        }
        return {name.lower(): handler for name, handler in methods.items()}  # names are case-insensitive

    # -- methods: identity, commands, menu ----------------------------------------------------

    async def _get_me(self, params: _Params) -> JsonDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _true(self, params: _Params) -> bool:
        return True

    async def _set_my_commands(self, params: _Params) -> bool:
        commands = _parse_commands(params)
        self.commands[(_scope_key(params), params.string("language_code") or "")] = commands
        return True

    async def _get_my_commands(self, params: _Params) -> list[JsonDict]:
        key = (_scope_key(params), params.string("language_code") or "")
        return copy.deepcopy(self.commands.get(key, []))

    async def _delete_my_commands(self, params: _Params) -> bool:
        self.commands.pop((_scope_key(params), params.string("language_code") or ""), None)
        return True

    async def _set_chat_menu_button(self, params: _Params) -> bool:
        chat_id = params.chat_id() if params.string("chat_id") is not None else None
        button = params.json("menu_button", "menu button") or {"type": "default"}
        if not isinstance(button, dict) or not isinstance(button.get("type"), str):
            raise _bad_request("can't parse menu button JSON object")
        self.menu_buttons[chat_id] = button
        return True

    async def _get_chat_menu_button(self, params: _Params) -> JsonDict:
        chat_id = params.chat_id() if params.string("chat_id") is not None else None
        return copy.deepcopy(self.menu_buttons.get(chat_id) or {"type": "default"})

    # -- methods: messages --------------------------------------------------------------------

    def _formatted(self, params: _Params) -> FormattedText:
        return compose_text(
            params.string("text"),
            params.string("parse_mode"),
            params.json("entities", "entities"),
            strict=self.strict_html,
        )

    async def _send_message(self, params: _Params) -> JsonDict:
        chat_id = params.chat_id()
        formatted = self._formatted(params)
        markup = _reply_markup(params)
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        self._enforce_rate(chat_id, count_for_chat=True)
        message: JsonDict = {
            "message_id": self._next_message_id(chat_id),
            "from": self.bot_user,
            "chat": self._chat_json(chat_id),
            "date": int(time.time()),
            "text": formatted.text,
        }
        _set_optional(message, "entities", formatted.entities)
        _set_optional(message, "reply_markup", _inline_markup(markup))
        self._messages[(chat_id, message["message_id"])] = message
        await self._record_message(message, markup, params.string("parse_mode"), "sendMessage")
        return copy.deepcopy(message)

    def _editable(self, params: _Params) -> JsonDict:
        if params.string("inline_message_id") is not None:
            raise _bad_request("inline messages are not supported by the stand-in")
        chat_id, message_id = params.chat_id(), params.message_id()
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise _bad_request("message to edit not found")
        if message["from"].get("id") != BOT_ID:
            raise _bad_request("message can't be edited")
        return message

    async def _edit_message_text(self, params: _Params) -> JsonDict:
        message = self._editable(params)
        formatted = self._formatted(params)
        markup = _reply_markup(params)
        edited = {**message, "text": formatted.text, "edit_date": int(time.time())}
        _set_optional(edited, "entities", formatted.entities)
        _set_optional(edited, "reply_markup", _inline_markup(markup))
        _ensure_modified(message, edited)
        self._enforce_rate(message["chat"]["id"], count_for_chat=False)
        return await self._store_edit(edited, markup, params.string("parse_mode"), "editMessageText")

    async def _edit_message_reply_markup(self, params: _Params) -> JsonDict:
        message = self._editable(params)
        markup = _reply_markup(params)
        edited = {**message, "edit_date": int(time.time())}
        _set_optional(edited, "reply_markup", _inline_markup(markup))
        _ensure_modified(message, edited)
        return await self._store_edit(edited, markup, None, "editMessageReplyMarkup")

    async def _store_edit(
        self, edited: JsonDict, markup: JsonDict | None, parse_mode: str | None, method: str
    ) -> JsonDict:
        self._messages[(edited["chat"]["id"], edited["message_id"])] = edited
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
        await self._record(sent)

    async def _delete_message(self, params: _Params) -> bool:
        key = (params.chat_id(), params.message_id())
        if self._messages.pop(key, None) is None:
            raise _bad_request("message to delete not found")
        self.deleted.append(key)
        return True

    # -- methods: callbacks -------------------------------------------------------------------

    async def _answer_callback_query(self, params: _Params) -> bool:
        query_id = params.string("callback_query_id")
        query = self._open_queries.pop(query_id or "", None)
        if query is None:
            raise _bad_request("query is too old and response timeout expired or query ID is invalid")
        answer = AnsweredCallback(
            callback_query_id=query_id or "",
            update_id=query.update_id,
            user_id=query.user_id,
            data=query.data,
            text=params.string("text"),
            show_alert=params.flag("show_alert"),
            url=params.string("url"),
            cache_time=params.integer("cache_time"),
            time=time.time(),
        )
        self.answered_callbacks.append(answer)
        self._records_signal.notify()
        return True

    # -- methods: getUpdates (long polling) ---------------------------------------------------

    async def _get_updates(self, params: _Params) -> list[JsonDict]:
        self.get_updates_calls += 1
        if self._webhook is not None:
            raise ApiError(409, _WEBHOOK_CONFLICT)
        offset = params.integer("offset")
        limit = min(max(params.integer("limit") or 100, 1), 100)
        timeout = min(max(params.number("timeout") or 0.0, 0.0), MAX_LONG_POLL_SECONDS)
        allowed = _allowed_updates(params)
        if allowed is not None:
            self._poll_allowed = allowed  # Telegram remembers allowed_updates between calls
        self._confirm(offset)
        self._poll_generation += 1
        self._updates_signal.notify()  # an older long poll now answers 409, as on Telegram
        return await self._long_poll(self._poll_generation, limit, timeout)

    async def _long_poll(self, generation: int, limit: int, timeout: float) -> list[JsonDict]:
        """Answer at once if updates are queued, else wait for one until ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = self._take_allowed(self._poll_allowed, limit)
            if batch or self._closing or self._webhook is not None:
                return batch
            if generation != self._poll_generation:
                raise ApiError(409, _POLL_CONFLICT)
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await self._updates_signal.wait()

    def _confirm(self, offset: int | None) -> None:
        """Forget updates below ``offset`` (a negative offset keeps only the last -offset ones)."""
        if offset is None:
            return
        if offset < 0:
            self._pending = self._pending[offset:]
        else:
            self._pending = [update for update in self._pending if update["update_id"] >= offset]

    def _take_allowed(self, allowed: frozenset[str] | None, limit: int) -> list[JsonDict]:
        """Drop queued updates of types the bot did not ask for; return up to ``limit`` copies."""
        self._pending = [update for update in self._pending if _is_allowed(update, allowed)]
        return copy.deepcopy(self._pending[:limit])

    # -- methods and delivery: webhooks -------------------------------------------------------

    async def _set_webhook(self, params: _Params) -> bool:
        url = params.string("url")
        if not url:
            return await self._delete_webhook(params)
        if not url.lower().startswith(("https://", "http://")):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.string("secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.match(secret):
            raise _bad_request("secret token contains unallowed characters")
        if params.flag("drop_pending_updates"):
            self._pending.clear()
        max_connections = min(max(params.integer("max_connections") or 40, 1), 100)
        self._webhook = _Webhook(url, secret, max_connections, _allowed_updates(params))
        self._updates_signal.notify()
        return True

    async def _delete_webhook(self, params: _Params) -> bool:
        if params.flag("drop_pending_updates"):
            self._pending.clear()
        self._webhook = None
        self._updates_signal.notify()
        return True

    async def _get_webhook_info(self, params: _Params) -> JsonDict:
        hook = self._webhook
        info: JsonDict = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            info["ip_address"] = "127.0.0.1"
            if hook.allowed_updates:
                info["allowed_updates"] = sorted(hook.allowed_updates)
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    async def _deliver_webhooks(self) -> None:
        """Background task: POST pending updates to the webhook oldest first, retrying failures."""
        while not self._closing:
            hook = self._webhook
            batch = self._take_allowed(hook.allowed_updates, 1) if hook else []
            if hook is None or not batch:
                await self._updates_signal.wait()
                continue
            if await self._post_update(hook, batch[0]):
                self._confirm_one(batch[0]["update_id"])
            else:
                await asyncio.sleep(self._webhook_retry_delay)

    async def _post_update(self, hook: _Webhook, update: JsonDict) -> bool:
        assert self._session is not None
        headers = {SECRET_TOKEN_HEADER: hook.secret_token} if hook.secret_token else {}
        try:
            async with self._session.post(hook.url, json=update, headers=headers) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return True
                error = f"Wrong response from the webhook: {response.status} {response.reason}"
        except (ClientError, TimeoutError, OSError) as exc:
            error = f"Connection failed: {exc.__class__.__name__}"
        hook.last_error_date = int(time.time())
        hook.last_error_message = error
        return False

    def _confirm_one(self, update_id: int) -> None:
        self._pending = [update for update in self._pending if update["update_id"] != update_id]


_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
    "webhook first"
)
_POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)


def _set_optional(message: JsonDict, key: str, value: Any) -> None:
    """Telegram omits empty optional fields instead of sending null or []."""
    if value:
        message[key] = value
    else:
        message.pop(key, None)


def _ensure_modified(before: JsonDict, after: JsonDict) -> None:
    fields = ("text", "entities", "reply_markup")
    if all(before.get(name) == after.get(name) for name in fields):
        raise _bad_request(
            "message is not modified: specified new message content and reply markup are exactly "
            "the same as a content and reply markup of the current message"
        )


def _is_after(index: int, sent: SentMessage, after: int | float | None) -> bool:
    if after is None:
        return True
    if isinstance(after, int):
        return index >= after
    return sent.time > after


def _discard(callbacks: list[Any], callback: Any) -> None:
    with contextlib.suppress(ValueError):
        callbacks.remove(callback)
