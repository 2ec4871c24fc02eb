"""Explicit integer ids and NIPs, assigned by the generator so chunks never collide.

`IdAllocator` hands out consecutive ids per table across all chunks, starting after the
largest id already stored. `NipRegistry` makes the 18-digit NIP unique at national scale:
birth date YYYYMMDD + TMT CPNS YYYYMM + gender digit (1 = L, 2 = P) + a 3-digit sequence that
counts people sharing the first 15 digits, kept as sorted numpy arrays (about 12 bytes per
distinct prefix, so 5.6 million employees need well under 100 MB).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_SEQUENCE = 999


class IdAllocator:
    """Next free id per table, shared by all chunks of one seeding run."""

    def __init__(self, start: dict[str, int]) -> None:
        self._next = dict(start)

    def take(self, table: str, count: int) -> np.ndarray:
        """Return `count` consecutive new ids for `table`."""
        first = self._next.get(table, 1)
        self._next[table] = first + count
        return np.arange(first, first + count, dtype=np.int64)


@dataclass
class IdBlock:
    """Global ids of one chunk's units, positions and employees, plus the allocator."""

    allocator: IdAllocator
    units: np.ndarray
    positions: np.ndarray
    employees: np.ndarray

    def take(self, table: str, count: int) -> np.ndarray:
        """Return `count` new ids for `table`."""
        return self.allocator.take(table, count)

    def supervisors(self, local: np.ndarray) -> list[int | None]:
        """Map local supervisor indices (-1 for none) to employee ids or None."""
        return [None if s < 0 else int(self.employees[s]) for s in local.tolist()]


class NipRegistry:
    """Assign unique NIPs across every chunk of a seeding run."""

    def __init__(self) -> None:
        self._prefixes = np.zeros(0, dtype=np.int64)
        self._counts = np.zeros(0, dtype=np.int32)

    def assign(self, birth: np.ndarray, hire: np.ndarray, female: np.ndarray) -> list[str]:
        """Return an 18-digit NIP per person, unique among every NIP assigned so far."""
        prefix = _prefixes(birth, hire, female)
        known, inverse, counts = np.unique(prefix, return_inverse=True, return_counts=True)
        order = np.argsort(inverse, kind="stable")
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        rank = np.empty(len(prefix), dtype=np.int64)
        rank[order] = np.arange(len(prefix)) - np.repeat(starts, counts)
        at, found = self._locate(known)
        seen = np.zeros(len(known), dtype=np.int64)
        seen[found] = self._counts[at[found]]
        sequence = seen[inverse] + rank + 1
        if sequence.max(initial=0) > MAX_SEQUENCE:
            raise ValueError("more than 999 people share a birth date, TMT month and gender")
        self._counts[at[found]] += counts[found].astype(np.int32)
        self._prefixes = np.insert(self._prefixes, at[~found], known[~found])
        self._counts = np.insert(self._counts, at[~found], counts[~found].astype(np.int32))
        return list(map(str, (prefix * 1_000 + sequence).tolist()))

    def _locate(self, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each sorted prefix sits in the registry, and whether it is already there."""
        at = np.searchsorted(self._prefixes, known)
        if len(self._prefixes) == 0:
            return at, np.zeros(len(known), dtype=bool)
        inside = np.minimum(at, len(self._prefixes) - 1)
        return at, (at < len(self._prefixes)) & (self._prefixes[inside] == known)


def _prefixes(birth: np.ndarray, hire: np.ndarray, female: np.ndarray) -> np.ndarray:
    """The first 15 digits as integers: YYYYMMDD, YYYYMM of TMT, gender digit."""
    born = birth.astype("datetime64[D]")
    born_month = born.astype("datetime64[M]")
    day = (born - born_month.astype("datetime64[D]")).astype(np.int64) + 1
    tmt = hire.astype("datetime64[M]").astype(np.int64)
    return (
        (_year_month(born_month.astype(np.int64)) * 100 + day) * 10_000_000
        + _year_month(tmt) * 10
        + np.where(female, 2, 1)
    )


def _year_month(months_since_1970: np.ndarray) -> np.ndarray:
    """YYYYMM as an integer from numpy's month count."""
    year, month = np.divmod(months_since_1970, 12)
    return (year + 1970) * 100 + month + 1
