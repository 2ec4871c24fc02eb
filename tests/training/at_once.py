"""Run two trainings at once in threads, released together at one pipeline step."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def two_at_once(train: Callable[[Callable[[str], None]], T], step: str) -> list[T]:
    """Call `train(on_step)` in two threads; both wait for each other when `step` starts.

    Returns the results of the runs that finished (a run that raised is missing).
    """
    together = threading.Barrier(2, timeout=120)
    results: list[T] = []

    def on_step(name: str) -> None:
        if name == step:
            together.wait()

    threads = [threading.Thread(target=lambda: results.append(train(on_step))) for _ in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results
