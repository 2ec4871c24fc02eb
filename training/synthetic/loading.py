"""Writing generated chunks: one after another, or several at once on PostgreSQL.

Chunks are always GENERATED in order by one thread (ids and NIPs are handed out in that
order, so the data do not depend on how they are written). With one writer, generation of
the next batch overlaps with writing the current one (`writer.prefetch`). With several
writers (PostgreSQL only: SQLite has a single writer), whole chunks are generated in memory
and handed to a pool of threads, each writing one chunk per transaction on its own
connection, so the server checks foreign keys and builds indexes on several cores. At most
`writers` chunks wait or are being written while the next is generated.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field

from sqlalchemy import Engine

from service.db.base import Base
from training.synthetic.truth import TRUTH_METADATA
from training.synthetic.writer import Batch
from training.synthetic.writer import open_writer
from training.synthetic.writer import prefetch

PREFETCH_BATCHES = 4


@dataclass
class SeedReport:
    """What a seeding run wrote: rows and write time per table, employees, chunks, seconds.

    `seconds` is the wall time of the whole run; generation overlaps with writing, so it is
    not part of `write_seconds` (which sum over writers when several run at once).
    """

    rows: dict[str, int] = field(default_factory=dict)
    write_seconds: dict[str, float] = field(default_factory=dict)
    employees: int = 0
    chunks: int = 0
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        """Rows written over all tables."""
        return sum(self.rows.values())

    def add(self, batch: Batch, seconds: float) -> None:
        """Count a written batch and the time its write took."""
        self.rows[batch.table] = self.rows.get(batch.table, 0) + len(batch)
        self.write_seconds[batch.table] = self.write_seconds.get(batch.table, 0.0) + seconds

    def merge(self, other: SeedReport) -> None:
        """Add another (chunk's) report to this one."""
        for table, count in other.rows.items():
            self.rows[table] = self.rows.get(table, 0) + count
        for table, seconds in other.write_seconds.items():
            self.write_seconds[table] = self.write_seconds.get(table, 0.0) + seconds
        self.employees += other.employees
        self.chunks += other.chunks


def write_chunks(
    engine: Engine,
    chunks: Iterator[tuple[int, Iterator[Batch]]],
    writers: int,
    progress: Callable[[int], None] | None = None,
) -> SeedReport:
    """Write (employee count, batches) chunks; `progress` hears each committed chunk's size."""
    report = SeedReport()
    if writers <= 1:
        for size, batches in chunks:
            _collect(
                report, write_chunk(engine, prefetch(batches, PREFETCH_BATCHES), size), progress
            )
        return report
    with ThreadPoolExecutor(writers, thread_name_prefix="synthetic-writer") as pool:
        pending: deque[Future[SeedReport]] = deque()
        for size, batches in chunks:
            generated = list(batches)
            while len(pending) >= writers:
                _collect(report, pending.popleft().result(), progress)
            pending.append(pool.submit(write_chunk, engine, generated, size))
        while pending:
            _collect(report, pending.popleft().result(), progress)
    return report


def write_chunk(engine: Engine, batches: Iterable[Batch], size: int) -> SeedReport:
    """Write one chunk in one transaction and return what it wrote."""
    part = SeedReport(employees=size, chunks=1)
    with open_writer(engine, [Base.metadata, TRUTH_METADATA]) as writer:
        for batch in batches:
            started = time.perf_counter()
            if len(batch):
                writer.write(batch)
            part.add(batch, time.perf_counter() - started)
    return part


def _collect(report: SeedReport, part: SeedReport, progress: Callable[[int], None] | None) -> None:
    report.merge(part)
    if progress is not None:
        progress(part.employees)
