"""Telegram's length limit: long texts are split on line boundaries."""

from __future__ import annotations

TELEGRAM_LIMIT = 4096
SAFE_LIMIT = 4000


def split_message(text: str, limit: int = SAFE_LIMIT) -> list[str]:
    """Split on line boundaries under Telegram's 4,096 limit, which counts UTF-16 code units (an emoji
    is two); a single over-long line is cut. The parts keep the text's order."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if utf16_units(candidate) > limit:
            if current:
                parts.append(current)
            *whole, candidate = _cut(line, limit)
            parts.extend(whole)
        current = candidate
    if current:
        parts.append(current)
    return parts


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut(line: str, limit: int) -> list[str]:
    """`line` in pieces of at most `limit` UTF-16 code units, never splitting a character, an HTML
    entity (`&amp;`) or a tag (`<b>`): the cut moves back to where the entity or tag begins. (A tag's
    element may still straddle a cut; only a single line of thousands of characters gets here.)"""
    pieces: list[str] = []
    start = size = 0
    opened: int | None = None  # where the entity or tag we are inside of began
    for index, char in enumerate(line):
        width = 2 if ord(char) > 0xFFFF else 1
        if size + width > limit:
            cut = opened if opened is not None and opened > start else index
            pieces.append(line[start:cut])
            start, size = cut, utf16_units(line[cut:index])
        size += width
        opened = _inside(char, index, opened)
    pieces.append(line[start:])
    return pieces


def _inside(char: str, index: int, opened: int | None) -> int | None:
    """Where the entity or tag that `char` (at `index`) is part of began, None once it is closed."""
    if char in "&<":
        return index
    if char in ";>":
        return None
    return opened
