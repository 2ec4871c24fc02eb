"""Feature rows as `risk_feature_rows` keeps them, and the id of the code that computed them.

`kinerja score` stores each employee's feature row beside the answer (a table of its own
since migration 0024, keyed like `risk_scores`), so a promotion re-scores from it and the
risk read can explain an answer the batch left unexplained without reading the history
again. Both sides must agree on the bytes and on when a stored
row is still the row the current code would compute, hence one module for both.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import numpy as np

from service.domain.feedback360_results import DEFAULT_MIN_GROUP_ANSWERS
from service.features.catalogue import FEATURE_NAMES
from service.features.signals import group_minimum

#: Feature rows are stored as these bytes, bit for bit.
VECTOR_DTYPE = np.dtype("<f8")
#: The repository modules whose statements read (and, coded, decode) the history the
#: features are computed from: an edit of them changes feature rows as much as an edit of
#: `service.features` does.
HISTORY_READERS = (
    "risk_history.py", "risk_batch.py", "risk_coded.py", "risk_raters.py", "risk_postgres.py",
)  # fmt: skip


def feature_sources(root: Path = Path(__file__).parent.parent) -> list[Path]:
    """The files whose code computes a feature row, under the `service` package `root`:
    every module of `service.features` and the history readers (`HISTORY_READERS`)."""
    readers = root / "db" / "repositories"
    return sorted((root / "features").glob("*.py")) + [readers / n for n in HISTORY_READERS]


def feature_set_digest(sources: list[Path], minimum: int = DEFAULT_MIN_GROUP_ANSWERS) -> str:
    """The id `feature_set_id` gives for the ordered feature list and these files, with
    the 360 groups' `minimum` (`group_minimum`; the default leaves the id as it was)."""
    digest = hashlib.sha256("\n".join(FEATURE_NAMES).encode())
    for source in sources:
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    if minimum != DEFAULT_MIN_GROUP_ANSWERS:
        digest.update(f"\0min_group_answers={minimum}".encode())
    return digest.hexdigest()[:16]


def feature_set_id(min_group_answers: int = DEFAULT_MIN_GROUP_ANSWERS) -> str:
    """A short id of the ordered feature list, of the code that computes it and of the
    360 anonymity threshold it applies (KINERJA_FEEDBACK_MIN_GROUP_ANSWERS, as
    `group_minimum` takes it: 2 and 3 give the same rows, hence the same id).

    Stored with each feature row: a renamed, added or reordered feature, any edit of
    `service.features` or of the statements that read the history for it (a definition or
    a read may change without a new name), or another threshold (a row computed with 3
    may hold a group of 4 that 5 hides) makes the stored rows unusable, so they are
    computed again rather than served stale (`kinerja score` would otherwise reuse them for
    as long as their inputs do not change).
    """
    return _feature_set_id(group_minimum(min_group_answers))


@cache
def _feature_set_id(minimum: int) -> str:
    """Cached: the code does not change under a running process, and the risk read asks
    on every unexplained row."""
    return feature_set_digest(feature_sources(), minimum)


def to_bytes(row: np.ndarray) -> bytes:
    """A feature row (or rows, one after another) as stored: float64 little-endian,
    bit-exact."""
    return np.ascontiguousarray(row, dtype=VECTOR_DTYPE).tobytes()


def stored_row(
    blob: bytes | None,
    feature_set: str | None,
    min_group_answers: int = DEFAULT_MIN_GROUP_ANSWERS,
) -> np.ndarray | None:
    """The feature row `blob` holds, or None when there is none of the current feature set
    (`feature_set_id` of the 360 threshold served now, `min_group_answers`)."""
    if blob is None or feature_set != feature_set_id(min_group_answers):
        return None
    row = np.frombuffer(blob, dtype=VECTOR_DTYPE)
    return row if len(row) == len(FEATURE_NAMES) else None
