"""Files that are not a history we can import are refused with a reason the bot can say."""

from __future__ import annotations

import io
import random
import zipfile

import openpyxl
import pytest

from bot.i18n import catalog
from core.statements import MAX_STATEMENT_BYTES, Refusal, StatementError, parse_statement
from core.statements.model import MAX_UNPACKED_XLSX_BYTES
from tests.unit.statements.reports import MT4_HTM, MT5_XLSX

NOT_A_STATEMENT_PAGE = b"""<!DOCTYPE html><html><head><title>My trading journal</title></head>
<body><h1>September</h1><table><tr><td>EURUSD</td><td>buy</td><td>+12.50</td></tr></table></body></html>"""


def refusal_of(data: bytes) -> StatementError:
    with pytest.raises(StatementError) as raised:
        parse_statement(data)
    return raised.value


def another_workbook() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Budget"
    sheet.append(["Month", "Rent", "Food"])
    sheet.append(["2022.09", 900, 310.5])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def a_zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (MAX_UNPACKED_XLSX_BYTES + 1))
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("random bytes", random.Random(10).randbytes(50_000)),
        ("another workbook", another_workbook()),
        ("an html page that is not a statement", NOT_A_STATEMENT_PAGE),
        ("plain text", b"Ticket;Time;Type\n1;2022.09.14;buy\n"),
        ("an empty file", b""),
    ],
)
def test_a_file_that_is_not_a_report_is_refused_as_such(name: str, data: bytes) -> None:
    assert refusal_of(data).refusal is Refusal.NOT_A_REPORT, name


def test_a_file_past_the_byte_limit_is_refused_before_it_is_read() -> None:
    padded = MT4_HTM.read_bytes() + b" " * (MAX_STATEMENT_BYTES - MT4_HTM.stat().st_size + 1)

    assert refusal_of(padded).refusal is Refusal.TOO_BIG


def test_a_workbook_that_unpacks_past_the_limit_is_refused_as_too_big() -> None:
    bomb = a_zip_bomb()

    assert len(bomb) < MAX_STATEMENT_BYTES
    assert refusal_of(bomb).refusal is Refusal.TOO_BIG


def test_a_truncated_workbook_is_unreadable() -> None:
    data = MT5_XLSX.read_bytes()

    assert refusal_of(data[: len(data) // 2]).refusal is Refusal.UNREADABLE


def test_a_statement_with_a_mangled_amount_is_unreadable_not_half_imported() -> None:
    text = MT4_HTM.read_text(encoding="utf-8").replace(
        "<td class=mspt>-1 680</td>", "<td class=mspt>-1 6B0</td>"
    )

    error = refusal_of(text.encode())

    assert error.refusal is Refusal.UNREADABLE and "-1 6B0" in error.detail


@pytest.mark.parametrize("refusal", list(Refusal))
@pytest.mark.parametrize("language", ["en", "es", "ru"])
def test_every_refusal_has_a_message_in_every_language(refusal: Refusal, language: str) -> None:
    error = StatementError(refusal, "detail for the log")

    assert catalog(language)[error.locale_key].strip()
