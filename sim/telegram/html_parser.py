"""Telegram HTML.  A port of tdlib's parse_html (td/telegram/MessageEntity.cpp), the parser the
Bot API runs: html.parser.HTMLParser is far too lenient (it accepts any tag, unclosed tags
and every named entity), so a small hand tokenizer is the faithful choice."""

from __future__ import annotations

from dataclasses import dataclass

from sim.telegram.constants import JsonDict
from sim.telegram.html_rules import (
    ALLOWED_TAGS,
    SIMPLE_TAG_TYPES,
    SPACES,
    SPECIAL_CHAR,
    FormattedText,
    HtmlParseError,
    decode_reference,
    drop_entities_inside_code,
    entity_sort_key,
    normalise_url,
    tag_argument,
)
from sim.telegram.utf16 import utf16_len


def parse_html(source: str, *, strict: bool = True) -> FormattedText:
    """Parse Telegram-flavoured HTML exactly as the Bot API does.

    Raises :class:`HtmlParseError` carrying Telegram's reason (byte offsets are UTF-8 byte
    offsets into ``source``, as Telegram reports them).  ``strict`` additionally refuses a
    bare ``&``; the ``sim.telegram`` docstring says why that is the default.
    """
    return _HtmlParser(source, strict=strict).parse()


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
            special = SPECIAL_CHAR.search(self._src, self._pos)
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
        ordered = sorted(self._entities, key=entity_sort_key)
        return FormattedText("".join(self._out), drop_entities_inside_code(ordered))

    # -- text ---------------------------------------------------------------------------------

    def _emit(self, chunk: str) -> None:
        if chunk:
            self._out.append(chunk)
            self._utf16 += utf16_len(chunk)

    def _byte_offset(self, pos: int) -> int:
        return len(self._src[:pos].encode("utf-8", "surrogatepass"))

    def _read_ampersand(self) -> None:
        decoded = decode_reference(self._src, self._pos)
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
        while i < len(self._src) and self._src[i] in SPACES:
            i += 1
        return i

    def _skip_word(self, i: int, stops: str) -> int:
        while i < len(self._src) and self._src[i] not in SPACES and self._src[i] not in stops:
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
        if name not in ALLOWED_TAGS:
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
            argument = tag_argument(tag, attribute, value, argument)

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
        if self._src[i] not in SPACES and self._src[i] != ">":
            raise HtmlParseError(f"Unexpected end of name token at byte offset {self._byte_offset(start)}")
        return self._src[start:i].lower(), i

    def _read_quoted_value(self, begin: int, i: int, quote: str) -> tuple[str, int]:
        chars: list[str] = []
        while i < len(self._src) and self._src[i] != quote:
            decoded = decode_reference(self._src, i) if self._src[i] == "&" else None
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
        if tag.name in SIMPLE_TAG_TYPES:
            entity["type"] = SIMPLE_TAG_TYPES[tag.name]
        elif tag.name == "a":
            url = normalise_url(tag.argument or "".join(self._out[tag.out_index :]))
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
