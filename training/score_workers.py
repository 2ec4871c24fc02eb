"""Batch scoring in several processes: one chunk of employees in memory per process.

Reading a chunk's history is most of the cost of `kinerja score` and runs in Python, so one
process uses one core. Here each of `workers` processes (spawned: no OpenMP state is carried
over a fork) opens its own engine and reads, scores and writes whole chunks
(`training.score.score_range`); the parent only hands out id ranges and adds up counts and
stage times. SQLite serves the readers concurrently (WAL) and serialises the short writes.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from sqlalchemy import Engine
from threadpoolctl import threadpool_limits

from service.db import make_engine
from service.serving.trees import prepare_rows
from training.score import Clock
from training.score import Counts
from training.score import Job
from training.score import score_range

_WORKER: dict[str, Any] = {}


def _start(database_url: str, job: Job, threads: int | None) -> None:
    import sklearn.ensemble._hist_gradient_boosting.predictor  # noqa: F401 - OpenMP loaded

    threadpool_limits(limits=threads, user_api="openmp")
    if job.model is not None:
        prepare_rows(job.model.pipeline)  # start-up, not the first chunk's prediction
    _WORKER.update(engine=make_engine(database_url), job=job)


Spent = tuple[dict[str, float], dict[str, float]]


def _score(span: tuple[int, int]) -> tuple[Counts, Spent]:
    engine: Engine = _WORKER["engine"]
    clock = Clock()
    counts = score_range(engine, _WORKER["job"], span[0], span[1], clock)
    return counts, (clock.stages, clock.cpu)


def score_in_workers(
    database_url: str,
    job: Job,
    ranges: list[tuple[int, int]],
    workers: int,
    threads: int | None,
    clock: Clock,
) -> Iterator[Counts]:
    """What each range stored, as it is done; stage seconds into `clock`.

    Stage seconds (wall and CPU) add up over processes: they are work, not elapsed time.
    """
    context = multiprocessing.get_context("spawn")
    initargs = (database_url, job, threads)
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start, initargs=initargs
    ) as pool:
        for counts, (wall, cpu) in pool.map(_score, ranges):
            for into, spent in ((clock.stages, wall), (clock.cpu, cpu)):
                for stage, seconds in spent.items():
                    into[stage] = into.get(stage, 0.0) + seconds
            yield counts
