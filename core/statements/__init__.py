"""Trade history reports a trader brings (issue 10, "History the trader brings"): an adapter that reads
the file and gives the account it names and its deals (`parse_statement`), refusing anything else with
a `StatementError` whose `locale_key` is the message to show. `replay` runs a history through the guard.
"""

from __future__ import annotations

from core.statements.html_rows import decode_html, html_rows
from core.statements.model import (
    MAX_STATEMENT_BYTES,
    AccountIdentity,
    Refusal,
    Statement,
    StatementError,
    StatementFormat,
)
from core.statements.mt4 import is_mt4_statement, parse_mt4
from core.statements.mt5 import TITLE as MT5_TITLE
from core.statements.mt5 import parse_mt5
from core.statements.xlsx import XLSX_MAGIC, xlsx_rows

__all__ = [
    "MAX_STATEMENT_BYTES",
    "AccountIdentity",
    "Refusal",
    "Statement",
    "StatementError",
    "StatementFormat",
    "parse_statement",
]


def parse_statement(data: bytes) -> Statement:
    """Read an MT5 Trade History Report (.xlsx or .html) or an MT4 Detailed Statement (.htm).

    The content decides, not the file's name. Raises `StatementError`: too big, not such a report,
    or a report that cannot be read; nothing is kept from a refused file. CPU-bound (about half a
    second for a 1,800-trade MT4 statement, mostly html.parser): from async code, run it in a thread.
    """
    if len(data) > MAX_STATEMENT_BYTES:
        raise StatementError(Refusal.TOO_BIG, f"{len(data)} bytes, the limit is {MAX_STATEMENT_BYTES}")
    if data.startswith(XLSX_MAGIC):
        return parse_mt5(xlsx_rows(data), StatementFormat.MT5_XLSX)
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise StatementError(Refusal.NOT_A_REPORT, "binary content that is neither a workbook nor HTML")
    text = decode_html(data)
    if "<" not in text[:2048]:
        raise StatementError(Refusal.NOT_A_REPORT, "neither a workbook nor an HTML page")
    if MT5_TITLE in text:
        rows = [tuple(cell.text for cell in row) for row in html_rows(text)]
        return parse_mt5(rows, StatementFormat.MT5_HTML)
    if is_mt4_statement(text):
        return parse_mt4(text, html_rows(text))
    raise StatementError(Refusal.NOT_A_REPORT, "an HTML page that is no MT4 or MT5 trade history report")
