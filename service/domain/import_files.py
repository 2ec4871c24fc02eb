"""Reading uploaded tables: CSV (UTF-8; comma, semicolon or tab) and XLSX, bytes to rows.

Files come from users: whatever the bytes, the answer is rows or `Invalid` naming the file.
An XLSX file is a zip, and openpyxl reads some parts whole (the shared strings): before it
opens one, the sizes its parts declare in the zip's central directory are added up and a
file over `max_unpacked` bytes (KINERJA_IMPORT_MAX_UNPACKED_BYTES) is `PayloadTooLarge`
(413). Python's zipfile never yields more than a part declares (and checks its CRC), so the
declared sizes bound what parsing can unpack.
`read_table` gives numbered rows of cleaned cells (stripped text, None when empty) for the
row-by-row checks; `csv_records` gives a CSV's raw records (the reference the fast path's
Arrow reader, `import_arrow`, is tested against).
"""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
from collections.abc import Iterable
from pathlib import PurePath
from typing import Any

from service.config import MAX_UNPACKED_BYTES
from service.domain.errors import Invalid
from service.domain.errors import PayloadTooLarge

MAX_ROWS = 1_000_000
MAX_COLUMNS = 100
_DELIMITERS = (",", ";", "\t")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"

Row = tuple[int, list[Any]]  # (file row number, cells: stripped text, None when empty)


def label(value: Any) -> str:
    """Quote a user's value for a message, cut to 40 characters."""
    text = value if isinstance(value, str) else repr(value)
    return repr(text[:40] + "...") if len(text) > 40 else repr(text)


def is_csv(content: bytes, filename: str) -> bool:
    """Whether `read_table` would read `content` as CSV (not XLSX, not refused)."""
    extension = PurePath(filename or "").suffix.lower().removeprefix(".")
    return (
        not content.startswith((_ZIP_MAGIC, _OLE_MAGIC))
        and extension in ("csv", "txt", "")
        and bool(content.strip())
    )


def read_table(
    content: bytes, filename: str, max_unpacked: int = MAX_UNPACKED_BYTES
) -> tuple[list[Any], list[Row]]:
    """Read a CSV or XLSX file into its header cells and numbered, non-empty data rows.

    Cells are stripped text (None when empty); XLSX numbers that are whole become text, other
    values (dates, fractions, booleans) stay as they are so validation can name them. An XLSX
    file whose parts unpack to more than `max_unpacked` bytes is refused unread.
    """
    extension = PurePath(filename or "").suffix.lower().removeprefix(".")
    if not content.strip():
        raise Invalid.field("file", f"{label(filename)} is empty")
    if content.startswith(_OLE_MAGIC) or extension == "xls":
        raise Invalid.field("file", "is a legacy .xls workbook; save it as .xlsx or CSV UTF-8")
    if content.startswith(_ZIP_MAGIC):
        check_unpacked(content, max_unpacked)
        rows: Iterable[list[Any]] = _xlsx_rows(content)
    elif extension in ("csv", "txt", ""):
        rows = ([cell.strip() or None for cell in record] for record in csv_records(content))
    else:
        message = f"{label(filename)} is neither CSV nor XLSX; upload a .csv or .xlsx file"
        raise Invalid.field("file", message)
    return _numbered(rows)


def csv_records(content: bytes) -> list[list[str]]:
    """Parse CSV bytes into raw records (record i is file row i + 1; blank lines are [])."""
    text = _decode(content)
    first_line = text.partition("\n")[0]
    delimiter = max(_DELIMITERS, key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        return list(reader)
    except csv.Error as exc:
        message = f"is not valid CSV near line {reader.line_num}: {exc}"
        raise Invalid.field("file", message, row=reader.line_num) from None


def header_cells(record: list[Any]) -> list[Any]:
    """Clean a header record: stripped names, the empty cells after the last one dropped."""
    cells = [cell.strip() or None if isinstance(cell, str) else cell for cell in record]
    end = len(cells)
    while end and cells[end - 1] is None:
        end -= 1
    if end > MAX_COLUMNS:
        raise Invalid.field("file", f"has over {MAX_COLUMNS} columns", row=1)
    return cells[:end]


def check_row_count(rows: int) -> None:
    """Refuse a file of more than MAX_ROWS data rows (`rows` counts the header too)."""
    if rows > MAX_ROWS + 1:
        raise Invalid.field("file", f"has over {MAX_ROWS} rows; split it", row=MAX_ROWS + 2)


def _numbered(rows: Iterable[list[Any]]) -> tuple[list[Any], list[Row]]:
    numbered: list[Row] = []
    header: list[Any] | None = None
    for number, cells in enumerate(rows, start=1):
        if header is None:
            header = header_cells(cells)
        elif number > MAX_ROWS + 1:
            check_row_count(number)
        elif cells.count(None) < len(cells):
            numbered.append((number, cells))
    if not header:
        raise Invalid.field("file", "has no header row", row=1)
    return header, numbered


def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Invalid.field("file", "is UTF-16 text; save it as CSV UTF-8")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"is not UTF-8 text (byte {exc.start + 1}); save it as CSV UTF-8"
        raise Invalid.field("file", message) from None
    if "\x00" in text:
        raise Invalid.field("file", "contains NUL bytes, so it is not a text CSV file")
    return text


def check_unpacked(content: bytes, limit: int) -> None:
    """Refuse (413) a zip whose parts declare more than `limit` bytes unpacked, together.

    Only the central directory is read (no part is inflated). A file that is no readable zip
    is left to the XLSX reader, which names it.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except Exception:  # no zip openpyxl could read either: `_xlsx_rows` names the problem
        return
    if unpacked > limit:
        raise PayloadTooLarge(
            f"file: the XLSX workbook unpacks to {unpacked:,} bytes, over the limit of "
            f"{limit:,} bytes (KINERJA_IMPORT_MAX_UNPACKED_BYTES); nothing was imported. "
            "Save it again from the spreadsheet, split it, or upload it as CSV"
        )


def _xlsx_rows(content: bytes) -> list[list[Any]]:
    """Read the first worksheet in read-only mode; formulas come back as their text."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # unsupported extensions, styles
            import openpyxl  # here, not at import (start-up time)

            workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        try:
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()  # trust the cells, not the declared size
            rows = []
            for values in sheet.iter_rows(values_only=True):
                rows.append([_xlsx_cell(value) for value in values])
                if len(rows) > MAX_ROWS + 1:
                    break
            return rows
        finally:
            workbook.close()
    except Exception as exc:  # any failure to parse user bytes is bad input, not a fault
        message = f"is not a readable XLSX workbook ({type(exc).__name__}); save it again"
        raise Invalid.field("file", message) from None


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return value
