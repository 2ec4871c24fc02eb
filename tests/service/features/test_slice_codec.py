"""Panel slices come back from their bytes with every cell's bits, whatever the cell holds."""

from __future__ import annotations

import numpy as np

from service.features.slice_codec import pack
from service.features.slice_codec import unpack


def _rows() -> np.ndarray:
    rng = np.random.default_rng(7)
    rows = rng.normal(size=(40, 5, 7))
    rows[:, 0] = np.nan
    rows[:, 1] = np.round(rows[:, 1] * 60)  # whole numbers, some beyond one byte
    rows[:, 2, 1:] = rows[:, 2, :1]  # carried forward
    rows[3, 3, 2:5] = [-0.0, np.inf, -np.inf]
    rows[4, 4, 0] = np.array([0x7FF8000000000001], dtype=np.int64).view(np.float64)[0]
    rows[4, 4, 1] = rows[4, 4, 0]  # another NaN's bits, repeated
    rows[5] = np.nan  # all NaN
    return rows


def test_every_cell_comes_back_to_the_bit() -> None:
    rows = _rows()
    slices = pack(rows)
    assert len(slices) == len(rows) and all(len(s) % 8 == 0 for s in slices)
    assert unpack(slices, 5, 7).tobytes() == rows.tobytes()
    assert unpack(slices[3:6], 5, 7).tobytes() == rows[3:6].tobytes()  # any subset alone


def test_nan_whole_and_repeated_cells_take_no_eight_bytes() -> None:
    rows = np.full((2, 4, 7), np.nan)
    rows[0, 1] = 3.0
    rows[1, 2] = 0.123
    small, repeated = pack(rows)
    assert len(small) == 8 + 8  # the codes, then one word of bytes
    assert len(repeated) == 8 + 8  # the codes, then 0.123 once


def test_no_employee_packs_to_nothing() -> None:
    assert pack(np.empty((0, 3, 7))) == []
    assert unpack([], 3, 7).shape == (0, 3, 7)
