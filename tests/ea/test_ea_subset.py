"""The shared include files stay in the subset of MQL5 that is also C++17 (ea/README.md): g++ proves the
C++ half here; what MQL5 lacks is caught by looking. A construct either compiler would take but the other
refuses fails this test before it reaches a trader's MetaEditor."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "ea" / "Include" / "TradeGuard"
SHARED_FILES = ("Hmac.mqh", "Json.mqh", "Wire.mqh", "Commands.mqh", "Bridge.mqh")
# What MQL5 refuses (or means otherwise) although g++ takes it, and what C++ refuses although MQL5 takes it.
FORBIDDEN = {
    "->": "pointers are used with `.` in MQL5",
    r"\bstd::": "no C++ standard library in MQL5",
    "::": "no scope resolution in the shared subset",
    r"\bnullptr\b": "MQL5 has NULL, not nullptr",
    r"\btemplate\b": "keep templates out of the shared subset",
    r"\bnamespace\b": "keep namespaces out of the shared subset",
    r"\bauto\b": "MQL5 has no auto",
    r"\bnew\b|\bdelete\b": "no dynamic objects in the shared subset",
    r"#include\s*<": "shared files include with quotes and forward slashes",
    r"&\s*\w+\s*\[\s*\]": "no array-reference parameters (`T &a[]` is not C++): wrap the array in a struct",
    r"(^|[=(,]|\breturn)\s*\"\"\s*\+\s*\"\"": "literal + literal does not concatenate in C++",
}


def code_of(text: str) -> str:
    """The text with comments removed and every string or char literal emptied (`""`, `''`)."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'"(?:\\.|[^"\\\n])*"', '""', text)
    text = re.sub(r"'(?:\\.|[^'\\\n])*'", "''", text)
    return re.sub(r"//[^\n]*", "", text)


@pytest.mark.parametrize("name", SHARED_FILES)
def test_a_shared_include_file_uses_only_the_common_subset(name: str) -> None:
    code = code_of((SHARED / name).read_text(encoding="utf-8"))
    found = {
        why: [n for n, line in enumerate(code.splitlines(), 1) if re.search(pattern, line)]
        for pattern, why in FORBIDDEN.items()
    }
    assert {why: lines for why, lines in found.items() if lines} == {}


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("int TgLen(uchar &data[])", "no array-reference parameters"),
        ("p->next = NULL;", "pointers are used with `.` in MQL5"),
        ('string s = "a" + "b";', "literal + literal"),
        ("#include <Trade\\Trade.mqh>", "shared files include with quotes"),
    ],
)
def test_the_subset_check_catches_what_it_is_for(line: str, why: str) -> None:
    code = code_of(line)
    hits = [reason for pattern, reason in FORBIDDEN.items() if re.search(pattern, code)]
    assert any(reason.startswith(why) for reason in hits), hits


def test_strings_and_comments_do_not_count() -> None:
    code = code_of('Print("a -> b :: c"); // p->q\n/* std::x */ int x = 1;')
    assert not any(re.search(pattern, code) for pattern in FORBIDDEN)
