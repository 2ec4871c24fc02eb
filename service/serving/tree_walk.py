"""The compiled walk of the boosted trees (numba): every row's leaves, and substituted rows'.

Imported only by `serving.trees`, when a model is first evaluated: importing numba costs
0.17 s of CPU and loading the compiled walk 0.3-0.4 s, which a server's start and its
stored answers never pay. The functions are compiled once per machine and kept in numba's
cache (`cache=True`; the directory is NUMBA_CACHE_DIR, which
`serving.trees.cache_compiled_code_under` points into KINERJA_HOME), so a scoring worker
or a web worker loads them instead of compiling.

The trees are one flattened table of nodes (`feature`; `threshold`; `missing_right`;
`children`: a node's left child at 2 * node, its right at 2 * node + 1, indices into the
same table; `value`, a leaf's; `inner`, False at a leaf) with `roots`, each tree's first
node. A node sends a row right when its value is `>` the threshold (left when `<=`), a
missing (NaN) value to its missing side, as scikit-learn's `_predict_from_raw_data` does.
A leaf leads to itself (both children; feature 0, threshold +inf), so a step past it stays
there. A probability's raw score is added as scikit-learn adds it (zero, plus the
baseline, plus each tree's leaf value in tree order) in float64: no fastmath, so the
additions are neither reordered nor fused and the sum is its, to the bit. Plain `njit`
without `parallel`: no threading layer, no threads in a web worker.

`predict` walks eight rows through a tree side by side, until all eight reach a leaf: a
step of one row waits on its previous step (load the node, the row's value, the child),
so one row at a time leaves the core idle most of the time, and eight independent walks
fill it. Measured on a model of 130 trees (mean leaf depth 5.3, deepest 16) over 100,000
rows: 2.9 us a row against 7.0 walking one row at a time (4 rows: 3.6, 16: 3.2); the
steps the other rows of the eight wait for at a leaf cost less than the waits they hide.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Rows `predict` walks side by side (written out as eight variables below).
LANES = 8


@njit(inline="always")
def _step(X: np.ndarray, i: int, node: int, nodes: tuple) -> int:
    """The child of `node` row `X[i]` goes to (a leaf: itself)."""
    _, feature, threshold, missing_right, children, _, _ = nodes
    v = X[i, feature[node]]
    right = (v > threshold[node]) | (np.isnan(v) & missing_right[node])
    return children[2 * node + right]


@njit(inline="always")
def _walk_from(
    X: np.ndarray, i: int, node: int, substituted: int, value: float, nodes: tuple
) -> int:
    """The leaf row `X[i]` reaches from `node`, reading `value` for feature `substituted`."""
    _, feature, threshold, missing_right, children, _, inner = nodes
    while inner[node]:
        f = feature[node]
        v = value if f == substituted else X[i, f]
        right = (v > threshold[node]) | (np.isnan(v) & missing_right[node])
        node = children[2 * node + right]
    return node


@njit(cache=True)
def predict(
    X: np.ndarray, nodes: tuple, baseline: float, leaves: np.ndarray, raw: np.ndarray
) -> None:
    """Each row's leaf in every tree into `leaves` (rows, trees) and its raw score into
    `raw`, `LANES` rows side by side (the last group repeats the last row)."""
    roots, _, _, _, _, value, inner = nodes
    last = X.shape[0] - 1
    for first in range(0, X.shape[0], LANES):
        i0, i1, i2, i3 = first, min(first + 1, last), min(first + 2, last), min(first + 3, last)
        i4, i5 = min(first + 4, last), min(first + 5, last)
        i6, i7 = min(first + 6, last), min(first + 7, last)
        s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0 + baseline  # as zeros += baseline
        for t in range(roots.shape[0]):
            n0 = n1 = n2 = n3 = n4 = n5 = n6 = n7 = roots[t]
            while (inner[n0] | inner[n1] | inner[n2] | inner[n3]
                   | inner[n4] | inner[n5] | inner[n6] | inner[n7]):  # fmt: skip
                n0, n1 = _step(X, i0, n0, nodes), _step(X, i1, n1, nodes)
                n2, n3 = _step(X, i2, n2, nodes), _step(X, i3, n3, nodes)
                n4, n5 = _step(X, i4, n4, nodes), _step(X, i5, n5, nodes)
                n6, n7 = _step(X, i6, n6, nodes), _step(X, i7, n7, nodes)
            leaves[i0, t], leaves[i1, t], leaves[i2, t], leaves[i3, t] = n0, n1, n2, n3
            leaves[i4, t], leaves[i5, t], leaves[i6, t], leaves[i7, t] = n4, n5, n6, n7
            s0, s1, s2, s3 = s0 + value[n0], s1 + value[n1], s2 + value[n2], s3 + value[n3]
            s4, s5, s6, s7 = s4 + value[n4], s5 + value[n5], s6 + value[n6], s7 + value[n7]
        raw[i0], raw[i1], raw[i2], raw[i3] = s0, s1, s2, s3
        raw[i4], raw[i5], raw[i6], raw[i7] = s4, s5, s6, s7


@njit(cache=True)
def substitute(
    X: np.ndarray,
    leaves: np.ndarray,
    rows: np.ndarray,
    columns: np.ndarray,
    reference: np.ndarray,
    leaving: tuple,
    nodes: tuple,
    baseline: float,
    raw: np.ndarray,
    moved: np.ndarray,
) -> None:
    """The raw score of row `rows[k]` of `X` with column `columns[k]` set to its reference
    value, into `raw[k]`, where the substitution moves the row to another leaf of some tree
    (`moved[k]`); elsewhere the row keeps its probability and `raw[k]` is not written.

    A substitution moves a row in a tree only where the reference value leaves the path to
    the row's leaf: `leaving` = (start, feature, resume) lists, for each leaf
    `start[leaf]:start[leaf + 1]`, the features whose reference value does so and the node
    where it first does (the other child of the split), from which the tree is walked
    again; every other tree keeps the row's leaf. `rows` is sorted (a row's entries
    together): the leaf values of its moved substitutions are laid out tree by tree
    (`table[tree, substitution]`) and added up together, each sum in tree order.
    """
    start, feature, resume = leaving
    value = nodes[5]
    trees, width = leaves.shape[1], X.shape[1]
    kept, table = np.empty(trees), np.empty((trees, width))
    entry, slot = np.full(width, -1), np.full(width, -1)
    which, sums = np.empty(width, dtype=np.intp), np.empty(width)
    k = 0
    while k < rows.shape[0]:
        r, first = rows[k], k
        while k < rows.shape[0] and rows[k] == r:
            entry[columns[k]], moved[k] = k, False
            k += 1
        for t in range(trees):
            kept[t] = value[leaves[r, t]]
        count = 0
        for t in range(trees):
            leaf = leaves[r, t]
            for p in range(start[leaf], start[leaf + 1]):
                j = feature[p]
                if entry[j] < 0:  # not substituted
                    continue
                if slot[j] < 0:
                    slot[j], which[count] = count, entry[j]
                    table[:, count] = kept
                    count += 1
                table[t, slot[j]] = value[_walk_from(X, r, resume[p], j, reference[j], nodes)]
        sums[:count] = 0.0 + baseline
        for t in range(trees):
            for q in range(count):
                sums[q] += table[t, q]
        for q in range(count):
            raw[which[q]], moved[which[q]] = sums[q], True
        for e in range(first, k):
            entry[columns[e]], slot[columns[e]] = -1, -1


@njit(cache=True)
def strongest(
    rows: np.ndarray,
    columns: np.ndarray,
    contribution: np.ndarray,
    minimum: float,
    chosen: np.ndarray,
    effect: np.ndarray,
) -> None:
    """The largest contributions of each row into `chosen` (rows, k: the features, -1 when
    fewer than k reach `minimum`) and `effect` (their contributions), largest first, equal
    ones in feature order: what a stable sort of each row's contributions, largest first,
    keeps of its first k (as the tests' dense reference, `top_drivers_of`, answers).
    `contribution[e]` is feature `columns[e]`'s in row `rows[e]`; a feature not listed
    contributes 0."""
    chosen[:] = -1
    k = chosen.shape[1]
    for e in range(rows.shape[0]):
        c, j, r = contribution[e], columns[e], rows[e]
        if not c >= minimum:
            continue
        slot = k
        while slot > 0 and (
            chosen[r, slot - 1] < 0
            or c > effect[r, slot - 1]
            or (c == effect[r, slot - 1] and j < chosen[r, slot - 1])
        ):
            slot -= 1
        if slot == k:
            continue
        for s in range(k - 1, slot, -1):
            chosen[r, s], effect[r, s] = chosen[r, s - 1], effect[r, s - 1]
        chosen[r, slot], effect[r, slot] = j, c
