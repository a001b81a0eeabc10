"""The rows of an HTML report's tables, as text cells (stdlib `html.parser`, which copes with the
unclosed tags terminals write).

A cell spanning n columns is followed by n - 1 empty (None) cells, as openpyxl reads a merged range:
both report formats then index their columns the same way. Cells of class `hidden` (MT5 writes some,
shown by no browser, inside its Positions rows) are left out, so the rows are the table a person
sees. Each cell keeps its `title` attribute, where MT4 writes a trade's comment (`[sl]`, `to #123`,
`Deposit: …`).
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

# Far beyond a real report's 14 columns; a hostile colspan must not make millions of cells.
MAX_COLSPAN = 64


@dataclass(frozen=True)
class Cell:
    text: str | None
    title: str = ""


Row = tuple[Cell, ...]


def decode_html(data: bytes) -> str:
    """MT5 writes its HTML reports in UTF-16 (with a byte order mark), MT4 in a Windows code page."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def html_rows(text: str) -> list[Row]:
    parser = _TableRows()
    parser.feed(text)
    parser.close()
    parser.end_row()
    return parser.rows


class _TableRows(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[Row] = []
        self._row: list[Cell] | None = None
        self._cell: list[str] | None = None
        self._title = ""
        self._span = 1
        self._hidden = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.end_row()
            self._row = []
        elif tag in ("td", "th"):
            self._end_cell()
            if self._row is None:
                self._row = []
            found = dict(attrs)
            self._cell, self._title = [], found.get("title") or ""
            self._span = _span(found.get("colspan"))
            self._hidden = "hidden" in (found.get("class") or "").split()
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._end_cell()
        elif tag in ("tr", "table"):
            self.end_row()

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def _end_cell(self) -> None:
        if self._cell is None or self._row is None:
            return
        text = " ".join("".join(self._cell).replace("\xa0", " ").split())
        if not self._hidden:
            self._row.append(Cell(text or None, self._title))
            self._row.extend(Cell(None) for _ in range(self._span - 1))
        self._cell = None

    def end_row(self) -> None:
        self._end_cell()
        if self._row:
            self.rows.append(tuple(self._row))
        self._row = None


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), MAX_COLSPAN))
    except ValueError:
        return 1
