"""Message text rules shared by sendMessage and editMessageText: parse mode, explicit entities,
trimming and length, each refused with Telegram's own reason."""

from __future__ import annotations

from typing import Any

from sim.telegram.constants import MAX_MESSAGE_UTF16, JsonDict
from sim.telegram.errors import bad_request
from sim.telegram.html_parser import parse_html
from sim.telegram.html_rules import FormattedText, HtmlParseError, entity_sort_key
from sim.telegram.utf16 import utf16_len

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
        raise bad_request("can't parse entities JSON object")
    size = utf16_len(text)
    entities: list[JsonDict] = []
    for item in raw:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("type"), str)
            and type(item.get("offset")) is int
            and type(item.get("length")) is int
        ):
            raise bad_request("can't parse entities JSON object")
        if item["offset"] >= 0 and item["length"] > 0 and item["offset"] + item["length"] <= size:
            entities.append(dict(item))
    return sorted(entities, key=entity_sort_key)


def compose_text(text: str | None, parse_mode: str | None, entities: Any, *, strict: bool) -> FormattedText:
    """Turn sendMessage/editMessageText parameters into the stored text, or raise Telegram's error."""
    if not text:
        raise bad_request("message text is empty")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise bad_request("text must be encoded in UTF-8") from None
    if entities is not None:
        formatted = FormattedText(text, _explicit_entities(entities, text))
    elif not parse_mode:
        formatted = FormattedText(text, [])
    elif parse_mode.lower() == "html":
        try:
            formatted = parse_html(text, strict=strict)
        except HtmlParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
    else:
        raise bad_request(f"unsupported parse_mode {parse_mode!r} (the stand-in implements HTML only)")
    formatted = _trim(formatted)
    if not formatted.text:
        raise bad_request("message text is empty")
    if utf16_len(formatted.text) > MAX_MESSAGE_UTF16:
        raise bad_request("message is too long")
    return formatted
