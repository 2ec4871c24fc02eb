"""Map a column through a Python function once per distinct value, not once per row.

Stored history arrives as object arrays (enum values, period codes, ISO dates as text) of
hundreds of thousands of rows per chunk of employees but only a handful of distinct values.
Hashing them (`pandas.factorize`) and calling the function on the distinct values only costs
a fraction of sorting strings (`numpy.unique`) or a Python loop over the rows, and gives the
same result for every row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def per_value(column: Any, function: Callable[[Any], Any], dtype: Any) -> np.ndarray:
    """Return `function(value)` for every value of `column` as an array of `dtype`.

    A missing value (None or NaN) is passed as None.
    """
    import pandas as pd  # here, not at import: a web worker's start does not need pandas

    values = np.asarray(column, dtype=object)
    if not len(values):
        return np.empty(0, dtype=dtype)
    codes, uniques = pd.factorize(values)
    mapped = [function(value) for value in uniques]
    if (codes < 0).any():
        mapped.append(function(None))  # code -1 picks it
    return np.asarray(mapped, dtype=dtype)[codes]


def distinct_sorted(values: np.ndarray) -> np.ndarray:
    """The distinct values of an integer array in ascending order: `np.unique(values)`.

    By a sort and a comparison of neighbours: numpy 2's `unique` hashes integers first,
    which took 4 us per employee on the activity log's (employee, month) pairs of a chunk
    that come sorted already (the coded read's index order), where this takes 0.1 us.
    """
    ordered = np.sort(np.asarray(values))
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered
