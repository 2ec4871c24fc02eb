"""The compiled walk of the boosted trees (numba): every row's leaves, and substituted rows'.

Imported only by `serving.trees`, when a model is first evaluated: importing numba costs
0.17 s of CPU and loading the compiled walk 0.3-0.4 s, which a server's start and its
stored answers never pay. The functions are compiled once per machine and kept in numba's
cache (`cache=True`; the directory is NUMBA_CACHE_DIR, which
`serving.trees.cache_compiled_code_under` points into KINERJA_HOME), so a scoring worker
or a web worker loads them instead of compiling.

The trees are one flattened table of nodes (`feature`, -1 at a leaf; `threshold`;
`missing_right`; `children`: a node's left child at 2 * node, its right at 2 * node + 1,
indices into the same table; `value`, a leaf's) with `roots`, each tree's first node. A
node sends a row right when its value is `>` the threshold (left when `<=`), a missing
(NaN) value to its missing side, as scikit-learn's `_predict_from_raw_data` does. A
probability's raw score is added as scikit-learn adds it (zero, plus the baseline, plus
each tree's leaf value in tree order) in float64: no fastmath, so the additions are
neither reordered nor fused and the sum is its, to the bit. Plain `njit` without
`parallel`: no threading layer, no threads in a web worker. (A walk without branches, a
leaf leading to itself and every walk as deep as its tree, measured no faster: the trees
are 10 deep at most, 5 on average, and a row then takes twice the steps.)
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(inline="always")
def _leaf(X: np.ndarray, i: int, substituted: int, value: float, tree: int, nodes: tuple) -> int:
    """The leaf of `tree` row `X[i]` reaches, reading `value` for feature `substituted`
    (-1: none)."""
    roots, feature, threshold, missing_right, children, _ = nodes
    node = roots[tree]
    while feature[node] >= 0:
        f = feature[node]
        v = value if f == substituted else X[i, f]
        right = missing_right[node] if np.isnan(v) else v > threshold[node]
        node = children[2 * node + 1] if right else children[2 * node]
    return node


@njit(cache=True)
def predict(
    X: np.ndarray, nodes: tuple, baseline: float, leaves: np.ndarray, raw: np.ndarray
) -> None:
    """Each row's leaf in every tree into `leaves` (rows, trees) and its raw score into `raw`."""
    value = nodes[-1]
    for i in range(X.shape[0]):
        total = 0.0
        total += baseline
        for t in range(leaves.shape[1]):
            node = _leaf(X, i, -1, 0.0, t, nodes)
            leaves[i, t] = node
            total += value[node]
        raw[i] = total


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
    row's leaf (`leaves`). `rows` is sorted: the moved substitutions of one row are added
    up together, tree by tree, so their sums (each in tree order) overlap.
    """
    start, trees = splitting
    value = nodes[-1]
    paths = np.empty((X.shape[1], leaves.shape[1]), dtype=leaves.dtype)
    sums = np.empty(X.shape[1])
    which = np.empty(X.shape[1], dtype=np.intp)
    k = 0
    while k < rows.shape[0]:
        r, count = rows[k], 0
        while k < rows.shape[0] and rows[k] == r:
            j = columns[k]
            changed = False
            for p in range(start[j], start[j + 1]):
                t = trees[p]
                if not leaving[j, leaves[r, t]]:
                    continue
                if not changed:
                    paths[count] = leaves[r]
                    changed = True
                paths[count, t] = _leaf(X, r, j, reference[j], t, nodes)
            moved[k] = changed
            if changed:
                which[count] = k
                count += 1
            k += 1
        for q in range(count):
            sums[q] = 0.0
            sums[q] += baseline
        for t in range(paths.shape[1]):
            for q in range(count):
                sums[q] += value[paths[q, t]]
        for q in range(count):
            raw[which[q]] = sums[q]
