"""Telegram's HTML rules, as tdlib applies them: which tags and character references exist, which
link URLs survive, and how entities are ordered.  The tokenizer in ``html_parser`` applies them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sim.telegram.constants import JsonDict


class HtmlParseError(ValueError):
    """Why Telegram cannot parse the HTML; the text after "can't parse entities: "."""


@dataclass(frozen=True)
class FormattedText:
    """Message text with tags stripped and the entities Telegram would report for it."""

    text: str
    entities: list[JsonDict]


SPACES = frozenset(" \t\r\n\v\f\0")
SPECIAL_CHAR = re.compile(r"[&<]")
_NUMERIC_REF = re.compile(r"#(?:x([0-9a-fA-F]+)|([0-9]+))")
_NAMED_REF = re.compile(r"[A-Za-z]*")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
ALLOWED_TAGS = frozenset(
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
SIMPLE_TAG_TYPES = {
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


def decode_reference(src: str, pos: int) -> tuple[str, int] | None:
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


def normalise_url(url: str) -> str | None:
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


def entity_sort_key(entity: JsonDict) -> tuple[int, int, int]:
    return entity["offset"], -entity["length"], _TYPE_PRIORITY.get(entity["type"], 50)


def drop_entities_inside_code(entities: list[JsonDict]) -> list[JsonDict]:
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


def tag_argument(tag: str, attribute: str, value: str | None, current: str) -> str:
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
