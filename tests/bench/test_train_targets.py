"""bench/targets.py, training part: a sampled retrain extrapolated to national size."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import targets  # noqa: E402


def _doc(employees: int, sampled: int, seconds: float, peak: float, draw: float) -> dict:
    return {"employees": employees, "train_employees": sampled, "max_employees": 100_000,
            "train_seconds": seconds, "peak_rss_mib": peak,
            "draw": {"seconds": draw, "peak_mib": employees * 32 / 2**20}}  # fmt: skip


def _run(docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"sections": {name: {"json": doc, "reason": None} for name, doc in docs.items()}}


def test_a_run_at_the_cap_adds_the_draw_scaled_to_national_size() -> None:
    run = _run({"train_10000": _doc(10_000, 10_000, 20.0, 700.0, 0.1),
                "train_200000": _doc(200_000, 100_000, 130.0, 4_000.0, 2.0)})  # fmt: skip
    timing, memory = targets.train_verdicts(run)
    # 128 s of sampled training at the cap + 2 s x 28 for the draw over 5.6 million ids.
    seconds = 128.0 + targets.extrapolate_linear([(1e4, 0.1), (2e5, 2.0)], 5.6e6)
    assert f"-> {seconds / 60:,.1f} min" in timing.figure and timing.met is True
    assert "128 s (measured)" in timing.figure
    assert memory.figure.startswith("peak 4,000 MiB at the cap + draw 171 MiB")
    assert memory.met is True


def test_runs_below_the_cap_grow_at_least_linearly_to_it() -> None:
    run = _run({"train_10000": _doc(10_000, 10_000, 20.5, 700.0, 0.5),
                "train_30000": _doc(30_000, 30_000, 40.5, 1_400.0, 0.5)})  # fmt: skip
    timing, memory = targets.train_verdicts(run)
    assert "sampled training at the cap 100,000: 133 s (grown from 30,000)" in timing.figure
    assert memory.figure.startswith("peak 3,850 MiB at the cap")


@pytest.mark.parametrize("seconds", [900.0, 2_000.0])
def test_a_slow_sampled_retrain_misses(seconds: float) -> None:
    run = _run({"train_200000": _doc(200_000, 100_000, seconds, 13_000.0, 1.0)})
    timing, memory = targets.train_verdicts(run)
    assert timing.met is False and memory.met is False
