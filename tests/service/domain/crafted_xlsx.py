"""Real XLSX files for the import tests, including zip bombs (parts that unpack to far more
than the upload's size)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

SHARED_STRINGS = "xl/sharedStrings.xml"
_CONTENT_TYPES = "[Content_Types].xml"
_SHARED_STRINGS_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
_SST = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
_SST_END = b"</sst>"
_PADDING = b"<si><t>x</t></si>" * 4096  # 69,632 bytes of one repeated, valid entry


def xlsx_bytes(rows: Sequence[Sequence[Any]]) -> bytes:
    """A workbook as openpyxl saves it: one sheet, its text cells written inline."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_bomb(rows: Sequence[Sequence[Any]], unpacked: int) -> bytes:
    """The workbook of `rows` with a shared-strings part (which openpyxl reads whole) of
    unused entries that unpacks to at least `unpacked` bytes: still a valid workbook with the
    same cells, but the part deflates about 1000 to 1."""
    plain = xlsx_bytes(rows)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(plain)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename == _CONTENT_TYPES:
                data = data.replace(b"</Types>", _SHARED_STRINGS_TYPE + b"</Types>")
            bomb.writestr(info, data)
        with bomb.open(SHARED_STRINGS, "w") as part:
            part.write(_SST)
            written = len(_SST) + len(_SST_END)
            while written < unpacked:
                part.write(_PADDING)
                written += len(_PADDING)
            part.write(_SST_END)
    return out.getvalue()


def unpacked_size(content: bytes) -> int:
    """What the parts of a zip file declare they unpack to, together."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return sum(info.file_size for info in archive.infolist())
