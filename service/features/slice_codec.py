"""Panel slices as short byte strings, packed and unpacked for many employees at once.

A slice (`features.panel_slice`) is a few hundred float64 cells per employee, most of them
NaN, small whole numbers (ratings, days, counts) or the previous period's value again (an
assessment carried forward, the same rater). Each cell gets a 2-bit code:

- 0: NaN (numpy's own NaN bits);
- 1: the same bits as the cell of the period before in its group;
- 2: a whole number in -128..127, one signed byte;
- 3: anything else, its eight bytes as they are.

A slice is the codes (four a byte), its eight-byte values, then its bytes of code 2, each
in cell order, in whole words of eight bytes. Every cell comes back with the bits it had
(codes 1 and 2 are taken only where the bits match), so nothing is rounded. Packing and
unpacking are whole-array numpy steps: about 5 and 4 us an employee (25,000 slices of the
25k sample, at load 4-5), where zlib on each slice took 49 and 12.5 (and 506 bytes a slice
against 395 here).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_NAN_BITS = np.array([np.nan]).view(np.int64)[0]
_SAME, _BYTE, _RAW = 1, 2, 3


def _codes(rows: np.ndarray) -> np.ndarray:
    """The code of each cell of `rows` (n, groups, periods)."""
    bits = rows.view(np.int64)
    with np.errstate(invalid="ignore"):  # NaN and large values cast to anything: not kept
        small = rows.astype(np.int8)
    codes = (small.astype(np.float64).view(np.int64) != bits).view(np.uint8) + np.uint8(_BYTE)
    np.copyto(codes[:, :, 1:], _SAME, where=bits[:, :, 1:] == bits[:, :, :-1])
    np.copyto(codes, 0, where=bits == _NAN_BITS)
    return codes


def _code_bytes(cells: int) -> int:
    """Bytes of a slice's codes: four a byte, in whole words of eight bytes."""
    return -(-cells // 32) * 8


def pack(rows: np.ndarray) -> list[bytes]:
    """One byte string per employee of `rows` (n, groups, periods) float64."""
    n = rows.shape[0]
    cells = rows.shape[1] * rows.shape[2]
    codes = _codes(rows).reshape(n, cells)
    padded = np.zeros((n, _code_bytes(cells) * 4), dtype=np.uint8)
    padded[:, :cells] = codes
    quads = padded.reshape(n, _code_bytes(cells), 4)
    head = quads[:, :, 0] | quads[:, :, 1] << 2 | quads[:, :, 2] << 4 | quads[:, :, 3] << 6
    flat = rows.reshape(n, cells)
    byte_mask, raw_mask = codes == _BYTE, codes == _RAW
    layout = _Layout(head.shape[1], byte_mask.sum(axis=1), raw_mask.sum(axis=1))
    out = np.zeros(layout.total, dtype=np.uint8)
    out[layout.heads()] = head
    out.view(np.float64)[layout.raw()] = flat[raw_mask]
    out[layout.small()] = flat[byte_mask].astype(np.int8).view(np.uint8)
    data = out.tobytes()
    return [data[s:e] for s, e in zip(layout.starts.tolist(), layout.ends.tolist(), strict=True)]


def unpack(slices: Sequence[bytes], groups: int, periods: int) -> np.ndarray:
    """The (n, groups, periods) float64 rows of `pack`'s byte strings."""
    n, cells = len(slices), groups * periods
    data = np.frombuffer(b"".join(slices), dtype=np.uint8)
    sizes = np.fromiter(map(len, slices), dtype=np.int64, count=n)
    starts = np.cumsum(sizes) - sizes
    width = _code_bytes(cells)
    head = data[starts[:, None] + np.arange(width)]
    codes = np.stack([head >> shift & 3 for shift in (0, 2, 4, 6)], axis=2)
    codes = codes.reshape(n, width * 4)[:, :cells]
    byte_mask, raw_mask = codes == _BYTE, codes == _RAW
    layout = _Layout(width, byte_mask.sum(axis=1), raw_mask.sum(axis=1))
    rows = np.full((n, cells), np.nan)
    rows[byte_mask] = data[layout.small()].view(np.int8)
    rows[raw_mask] = data.view(np.float64)[layout.raw()]
    rows = rows.reshape(n, groups, periods)
    same = codes.reshape(n, groups, periods) == _SAME
    for period in range(1, periods):
        np.copyto(rows[:, :, period], rows[:, :, period - 1], where=same[:, :, period])
    return rows


class _Layout:
    """Where each part of each employee's byte string lies in their concatenation: the
    codes, the eight-byte values, the one-byte values, zeros to a multiple of eight bytes
    (so that every eight-byte value is one word of the whole)."""

    def __init__(self, head: int, small: np.ndarray, raw: np.ndarray) -> None:
        self.head, self.small_counts, self.raw_counts = head, small, raw
        sizes = head + 8 * raw + -(-small // 8) * 8
        self.ends = np.cumsum(sizes)
        self.starts = self.ends - sizes
        self.total = int(self.ends[-1]) if len(sizes) else 0

    def heads(self) -> np.ndarray:
        """(n, head) positions of the codes."""
        return self.starts[:, None] + np.arange(self.head)

    def raw(self) -> np.ndarray:
        """Word positions of the eight-byte values, employee after employee."""
        return _runs((self.starts + self.head) // 8, self.raw_counts)

    def small(self) -> np.ndarray:
        """Positions of the one-byte values, employee after employee."""
        return _runs(self.starts + self.head + 8 * self.raw_counts, self.small_counts)


def _runs(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """starts[i] + k for k < counts[i], for each i in order."""
    before = np.cumsum(counts) - counts
    return np.repeat(starts - before, counts) + np.arange(int(counts.sum()))
