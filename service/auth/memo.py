"""Per-worker memory of access decisions and stored answers, valid for one change generation.

A risk read asks the database the same questions every time: may this caller see this
employee, and what stored score answers for them. Both answers only change when a row of
`employees`, `units`, `skps`, `users`, `api_tokens` or `risk_scores` changes, and every such
change bumps `change_counters.generation` in its own transaction (migration 0011). So a worker
may keep what it computed, tagged with the generation it read *before* computing, and reuse
it while a fresh read of the counter shows the same generation: one primary-key read instead
of the queries, and never staler than those queries would be.

A request that read another generation than the memo holds starts it over, and a value is
only kept under the generation its request read (two threads of one worker may read the
counter on either side of a change; the counter may even go back, after a restore).
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

MAX_ENTRIES = 50_000


class Memo:
    """What this worker computed at one generation of the change counter."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._generation: int | None = None
        self._entries: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    @property
    def generation(self) -> int | None:
        """The generation this memo holds (None before its first request): the one the
        latest request of this worker that used it read, a guess at the current one that a
        request must confirm (`service.api.fast_risk`)."""
        return self._generation

    def at(self, generation: int) -> MemoAt:
        """The memo as seen by a request that read `generation` from the counter."""
        return MemoAt(self, generation)

    def get(self, generation: int, key: Hashable) -> Any | None:
        """The value kept for `key`, or None; a new generation forgets everything first."""
        with self._lock:
            if generation != self._generation:
                self._generation = generation
                self._entries = {}
                return None
            return self._entries.get(key)

    def put(self, generation: int, key: Hashable, value: Any) -> None:
        """Keep `value` for `key`, unless the memo moved on from `generation` meanwhile."""
        with self._lock:
            if generation != self._generation:
                return
            if len(self._entries) >= self.max_entries:
                self._entries = {}  # a burst of distinct keys: start over, never grow
            self._entries[key] = value


@dataclass(frozen=True)
class MemoAt:
    """A `Memo` bound to the generation one request read (what use cases are handed)."""

    memo: Memo
    generation: int

    def get(self, key: Hashable) -> Any | None:
        return self.memo.get(self.generation, key)

    def put(self, key: Hashable, value: Any) -> None:
        self.memo.put(self.generation, key, value)
