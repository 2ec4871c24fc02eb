"""Reading a clean CSV import file into Arrow columns, in C++, for the column-wise fast path.

`csv_records` (the csv module) reads 100k rows in about 0.3 s of CPU and its rows must then
be transposed; pyarrow's reader does both in a tenth of that. But pyarrow is lenient where the
csv module (strict) refuses a file: text after a closing quote (`"ab"c`) or a quote left open
at the end is read silently. So a file is only read here when every quote in it sits in a
well-formed quoted field (`_quotes_well_formed`), where both readers split the same cells; any
other file, and anything pyarrow cannot read (ragged rows, bad UTF-8), gives None and is left
to the csv module and the row-by-row check, which say what is wrong.

Arrow allocates from the C library's allocator here (`use_system_allocator`, run as this
module loads), not from pyarrow's default mimalloc: mimalloc maps its arenas with
`MADV_HUGEPAGE`, so the first 100k-row import of a process had the kernel zero 2 MB pages
on first touch (a quarter of its CPU samples in `clear_page_erms`), and it hands freed
memory back 10 ms after a free (`MADV_DONTNEED`), so the next import zeroed them again.
`bench/import.py`, 100k rows on SQLite, median CPU of 4 fresh processes each (2026-12-07,
Intel Xeon, 2 shared cores): first import 1.16 s with mimalloc (0.42 s of it system CPU),
0.90 s with the system allocator (0.16 s); the second import 1.03 s against 0.91 s.
jemalloc did as well as the system allocator on the first import and no better on the
second. `ARROW_DEFAULT_MEMORY_POOL`, when set, is left to decide.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.csv as pcsv

from service.domain.errors import Invalid
from service.domain.import_files import MAX_COLUMNS
from service.domain.import_files import MAX_ROWS
from service.domain.import_files import header_cells
from service.domain.import_files import is_csv
from service.domain.import_rules import Layout
from service.domain.import_rules import read_header

_DELIMITERS = (b",", b";", b"\t")
_BOM = b"\xef\xbb\xbf"
_BLOCK_BYTES = 1 << 22
# pyarrow names the columns f0, f1, ...; every cell is read as text.
_TYPES = {f"f{n}": pa.string() for n in range(MAX_COLUMNS + 1)}


def use_system_allocator() -> None:
    """Make the C library's allocator Arrow's default pool in this process, unless
    `ARROW_DEFAULT_MEMORY_POOL` names one (Arrow reads it when it starts)."""
    if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        pa.set_memory_pool(pa.system_memory_pool())


use_system_allocator()


@dataclass(frozen=True)
class ArrowFile:
    """The data rows of a CSV as string columns by header name (header row excluded)."""

    columns: dict[str, pa.Array]
    size: int


def read_arrow(content: bytes, filename: str) -> ArrowFile | None:
    """The columns of a well-formed CSV with a valid header; None when in any doubt."""
    if not is_csv(content, filename):
        return None
    content = content.removeprefix(_BOM)
    if b"\x00" in content or content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    delimiter = max(_DELIMITERS, key=content.partition(b"\n")[0].count)
    if not _quotes_well_formed(content, delimiter):
        return None
    table = _parse(content, delimiter.decode())
    if table is None or table.num_rows < 2 or table.num_rows > MAX_ROWS + 1:
        return None
    layout = _layout([table.column(at)[0].as_py() for at in range(table.num_columns)])
    if layout is None or layout.width != table.num_columns:
        return None
    data = table.slice(1)
    columns = {name: data.column(at).combine_chunks() for name, at in layout.index.items()}
    return ArrowFile(columns, data.num_rows)


def _parse(content: bytes, delimiter: str) -> pa.Table | None:
    """Every row as strings (the header is row 0); None for what pyarrow cannot read."""
    try:
        return pcsv.read_csv(
            pa.BufferReader(content),
            read_options=pcsv.ReadOptions(
                autogenerate_column_names=True,
                block_size=_BLOCK_BYTES,
                use_threads=False,  # the database needs the other core
            ),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(
                column_types=_TYPES, strings_can_be_null=False, quoted_strings_can_be_null=False
            ),
        )
    except pa.ArrowException:
        return None


def _layout(header: list[str]) -> Layout | None:
    try:
        return read_header(header_cells(header))
    except Invalid:
        return None


# A quoted field: an opening quote that follows a delimiter, a line end or the start (the
# lookbehind after it), doubled quotes inside, a closing quote before a delimiter, a line end
# or the end. It starts with a literal quote, so `re` jumps from quote to quote.
def _quoted_field(delimiter: bytes) -> re.Pattern[bytes]:
    ends = re.escape(delimiter) + rb"\r\n"
    return re.compile(rb'"(?<![^' + ends + rb']")[^"]*(?:""[^"]*)*"(?=[' + ends + rb"]|\Z)")


_QUOTED = {delimiter: _quoted_field(delimiter) for delimiter in _DELIMITERS}


def _quotes_well_formed(content: bytes, delimiter: bytes) -> bool:
    """Whether every `"` belongs to a well-formed quoted field (then both readers agree).

    Removing those fields must leave no quote: a quote left over is text after a closing
    quote, an open quote at the end, or a quote inside an unquoted cell (which both readers
    keep as text, but that rare file may take the slow path).
    """
    if b'"' not in content:
        return True
    return b'"' not in _QUOTED[delimiter].sub(b"", content)
