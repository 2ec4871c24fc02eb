"""Feature rows as `risk_scores` keeps them, and the id of the code that computed them.

`kinerja score` stores each employee's feature row beside the answer, so a promotion
re-scores from it and the risk read can explain an answer the batch left unexplained
without reading the history again. Both sides must agree on the bytes and on when a stored
row is still the row the current code would compute, hence one module for both.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import numpy as np

from service.features.catalogue import FEATURE_NAMES

#: Feature rows are stored as these bytes, bit for bit.
VECTOR_DTYPE = np.dtype("<f8")
#: The repository modules whose statements read (and, coded, decode) the history the
#: features are computed from: an edit of them changes feature rows as much as an edit of
#: `service.features` does.
HISTORY_READERS = ("risk_history.py", "risk_batch.py", "risk_coded.py")


def feature_sources(root: Path = Path(__file__).parent.parent) -> list[Path]:
    """The files whose code computes a feature row, under the `service` package `root`:
    every module of `service.features` and the history readers (`HISTORY_READERS`)."""
    readers = root / "db" / "repositories"
    return sorted((root / "features").glob("*.py")) + [readers / n for n in HISTORY_READERS]


def feature_set_digest(sources: list[Path]) -> str:
    """The id `feature_set_id` gives for the ordered feature list and these files."""
    digest = hashlib.sha256("\n".join(FEATURE_NAMES).encode())
    for source in sources:
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()[:16]


@cache
def feature_set_id() -> str:
    """A short id of the ordered feature list and of the code that computes it.

    Stored with each feature row: a renamed, added or reordered feature, or any edit of
    `service.features` or of the statements that read the history for it (a definition or
    a read may change without a new name), makes the stored rows unusable, so they are
    computed again rather than served stale (`kinerja score` would otherwise reuse them for
    as long as their inputs do not change). Cached: the code does not change under a
    running process, and the risk read asks on every unexplained row.
    """
    return feature_set_digest(feature_sources())


def to_bytes(row: np.ndarray) -> bytes:
    """A feature row (or rows, one after another) as stored: float64 little-endian,
    bit-exact."""
    return np.ascontiguousarray(row, dtype=VECTOR_DTYPE).tobytes()


def stored_row(blob: bytes | None, feature_set: str | None) -> np.ndarray | None:
    """The feature row `blob` holds, or None when there is none of the current feature set."""
    if blob is None or feature_set != feature_set_id():
        return None
    row = np.frombuffer(blob, dtype=VECTOR_DTYPE)
    return row if len(row) == len(FEATURE_NAMES) else None
