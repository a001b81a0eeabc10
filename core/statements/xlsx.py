"""The rows of an MT5 `.xlsx` report (openpyxl, read-only: cell values, no styles, no formulas run)."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from core.statements.model import MAX_UNPACKED_XLSX_BYTES, Refusal, StatementError

Cells = tuple[str | None, ...]
XLSX_MAGIC = b"PK\x03\x04"
# A Trade History Report is one sheet of a few thousand rows; this is far past the busiest account.
MAX_ROWS = 200_000


def xlsx_rows(data: bytes) -> list[Cells]:
    """The first sheet's rows as text cells (None where empty), as MT5 wrote them."""
    _check_unpacked_size(data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise StatementError(Refusal.UNREADABLE, f"not a readable workbook ({error})") from error
    try:
        sheet = workbook.worksheets[0]
        rows: list[Cells] = []
        for row in sheet.iter_rows(values_only=True):
            if len(rows) >= MAX_ROWS:
                raise StatementError(Refusal.TOO_BIG, f"more than {MAX_ROWS} rows")
            rows.append(tuple(_text(value) for value in row))
        return rows
    finally:
        workbook.close()


def _check_unpacked_size(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise StatementError(Refusal.UNREADABLE, f"a damaged workbook ({error})") from error
    if unpacked > MAX_UNPACKED_XLSX_BYTES:
        raise StatementError(Refusal.TOO_BIG, f"the workbook unpacks to {unpacked} bytes")


def _text(value: object) -> str | None:
    """A cell as the report shows it: floats through their shortest repr (0.9994, not 0.99939999…)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y.%m.%d %H:%M:%S")
    if isinstance(value, float):
        return repr(value)
    text = str(value).strip()
    return text or None
