"""The real report files, read the plain way (openpyxl, regular expressions) so the tests can compare
what the parsers make of them with what the reports themselves say."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from html import escape
from pathlib import Path

import openpyxl

DATA = Path(__file__).parent / "data"
MT5_XLSX = DATA / "ReportHistory-Metatrader_JIL.xlsx"
MT4_HTM = DATA / "DetailedStatement-anonymised.htm"
Cells = tuple[object, ...]
MONEY_COLUMNS = {"Commission", "Fee", "Swap", "Profit", "Balance"}


@cache
def xlsx_rows() -> tuple[Cells, ...]:
    workbook = openpyxl.load_workbook(MT5_XLSX, read_only=True)
    try:
        return tuple(tuple(row) for row in workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()


def xlsx_section(name: str) -> list[Cells]:
    """The data rows of a section (Positions, Deals …): from under its header to the first blank."""
    rows = xlsx_rows()
    start = next(i for i, row in enumerate(rows) if row and row[0] == name)
    found = []
    for row in rows[start + 2 :]:
        if not row or row[0] is None or row[0] in ("Orders", "Deals", "Open Positions"):
            break
        found.append(row)
    return found


def xlsx_summary(label: str) -> object:
    """The value after a label in the report's own summary lines (`Total Net Profit:` → -21.14)."""
    for row in xlsx_rows():
        for index, cell in enumerate(row):
            if cell == label:
                return next(value for value in row[index + 1 :] if value is not None)
    raise KeyError(label)


@cache
def mt4_text() -> str:
    return MT4_HTM.read_text(encoding="utf-8")


def mt4_summary(label: str) -> str:
    """The bold value after a bold label in the statement's summary (`Total Trades:` → `1761`)."""
    found = re.search(re.escape(label) + r"</b></td>\s*<td[^>]*>(?:<b>)?([^<]+)", mt4_text())
    assert found, label
    return found.group(1)


def mt4_number(label: str) -> Decimal:
    return Decimal(mt4_summary(label).split("(")[0].replace(" ", ""))


def mt5_html_report() -> bytes:
    """The xlsx report's rows written as MT5 writes its HTML report: UTF-16 with a byte order mark, one
    table, section heads in `<th>`, merged labels, money with spaces between thousands, and the hidden
    cells MT5 writes in its Positions rows."""
    out = [
        '<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01//EN">\n<html><head>',
        "<title>5006391922: MetaTrader 5 iOS Demo - Trade History Report</title>",
        '<meta http-equiv="Content-Type" content="text/html; charset=utf-16"></head>',
        '<body><div align="center"><table cellspacing="1" cellpadding="3" border="0">',
    ]
    header: Cells = ()
    section = ""
    for row in xlsx_rows():
        cells = list(row)
        while cells and cells[-1] is None:
            cells.pop()
        if not cells:
            continue
        if len(cells) == 1 and isinstance(cells[0], str):
            section = cells[0]
            out.append(f'<tr align="center"><th colspan="14"><div><b>{escape(cells[0])}</b></div></th></tr>')
            continue
        if cells[0] == "Time" or cells[0] == "Open Time":
            header = tuple(cells)
        tds = _tds(cells, header)
        if section == "Positions":  # MT5 hides a cell in these rows
            tds.insert(4, f'<td class="hidden" colspan="8">{"" if cells[0] == "Time" else "id:7"}</td>')
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</table></div></body></html>")
    return "\n".join(out).encode("utf-16")


def _tds(cells: list[object], header: Cells) -> list[str]:
    if isinstance(cells[0], str) and cells[0].endswith(":") and len(cells) > 1 and cells[1] is None:
        span = next(i for i, value in enumerate(cells[1:], 1) if value is not None)  # a merged label
        label = f'<td colspan="{span}" align="right">{escape(cells[0])}</td>'
        return [label, *(_td(cells, index, header) for index in range(span, len(cells)))]
    return [_td(cells, index, header) for index in range(len(cells))]


def _td(cells: list[object], index: int, header: Cells) -> str:
    value = cells[index]
    if value is None:
        return "<td></td>"
    column = header[index] if index < len(header) else None
    if column in MONEY_COLUMNS and isinstance(value, int | float):
        return f"<td>{_money(value)}</td>"
    text = repr(value) if isinstance(value, float) else str(value)
    return f"<td>{escape(text).replace(' (', '&nbsp;(', 1)}</td>"


def _money(value: float) -> str:
    return f"{Decimal(repr(value)):,.2f}".replace(",", " ")
