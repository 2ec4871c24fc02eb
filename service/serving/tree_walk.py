"""The compiled walk of the boosted trees (numba): every row's leaves, and substituted rows'.

Imported only by `serving.trees`, when a model is first evaluated: importing numba costs
about half a second of CPU, which a server's start and its stored answers never pay. The
functions are compiled once per machine and kept in numba's cache (`cache=True`; the
directory is NUMBA_CACHE_DIR, which `serving.trees.cache_compiled_code_under` points
into KINERJA_HOME), so a scoring worker or a web worker loads them instead of compiling.

The trees are one flattened table of nodes (`feature`, `threshold`, `missing_left`,
`left`, `right`, `is_leaf`, `value`; children are indices into the same table) and
`roots`, each tree's first node. A node sends a row left when its value is `<=` the
threshold, a missing (NaN) value to its missing side, as scikit-learn's
`_predict_from_raw_data` does. A probability's raw score is added as scikit-learn adds it
(zero, plus the baseline, plus each tree's leaf value in tree order) in float64: no
fastmath, so the additions are neither reordered nor fused and the sum is its, to the bit.
Plain `njit` without `parallel`: no threading layer, no threads in a web worker.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(inline="always")
def _leaf(x: np.ndarray, substituted: int, value: float, tree: int, nodes: tuple) -> int:
    """The leaf of `tree` row `x` reaches, reading `value` for feature `substituted` (-1:
    none)."""
    roots, feature, threshold, missing_left, left, right, is_leaf, _ = nodes
    node = roots[tree]
    while not is_leaf[node]:
        f = feature[node]
        v = value if f == substituted else x[f]
        if np.isnan(v):
            goes_left = missing_left[node]
        else:
            goes_left = v <= threshold[node]
        node = left[node] if goes_left else right[node]
    return node


@njit(inline="always")
def _raw(path: np.ndarray, nodes: tuple, baseline: float) -> float:
    """The raw score of the leaves `path` (one per tree), added as scikit-learn adds it."""
    value = nodes[-1]
    total = 0.0
    total += baseline
    for t in range(path.shape[0]):
        total += value[path[t]]
    return total


@njit(cache=True)
def predict(
    X: np.ndarray, nodes: tuple, baseline: float, leaves: np.ndarray, raw: np.ndarray
) -> None:
    """Each row's leaf in every tree into `leaves` (rows, trees) and its raw score into `raw`."""
    for i in range(X.shape[0]):
        for t in range(leaves.shape[1]):
            leaves[i, t] = _leaf(X[i], -1, 0.0, t, nodes)
        raw[i] = _raw(leaves[i], nodes, baseline)


@njit(cache=True)
def substitute(
    X: np.ndarray,
    leaves: np.ndarray,
    rows: np.ndarray,
    columns: np.ndarray,
    reference: np.ndarray,
    splitting: tuple,
    leaving: np.ndarray,
    nodes: tuple,
    baseline: float,
    raw: np.ndarray,
    moved: np.ndarray,
) -> None:
    """The raw score of row `rows[k]` of `X` with column `columns[k]` set to its reference
    value, into `raw[k]`, where the substitution moves the row to another leaf of some tree
    (`moved[k]`); elsewhere the row keeps its probability and `raw[k]` is not written.

    Only the trees splitting on column j (`trees[start[j]:start[j + 1]]` of `splitting`
    = (start, trees)) can move, and in those only a row whose leaf's path the reference
    value leaves (`leaving[j, leaf]`): those are walked again; every other tree keeps the
    row's leaf (`leaves`).
    """
    start, trees = splitting
    path = np.empty(leaves.shape[1], dtype=leaves.dtype)
    for k in range(rows.shape[0]):
        r, j = rows[k], columns[k]
        changed = False
        for p in range(start[j], start[j + 1]):
            t = trees[p]
            if not leaving[j, leaves[r, t]]:
                continue
            if not changed:
                path[:] = leaves[r]
                changed = True
            path[t] = _leaf(X[r], j, reference[j], t, nodes)
        moved[k] = changed
        if changed:
            raw[k] = _raw(path, nodes, baseline)
