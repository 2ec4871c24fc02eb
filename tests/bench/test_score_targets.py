"""bench/targets.py, scoring part: each case judged on `score.py`'s own national figures."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import targets  # noqa: E402


def _case(seconds: float, peak_mib: float) -> dict[str, Any]:
    return {"rows_per_s": 5_000.0, "national_seconds": seconds, "national_peak_mib": peak_mib}


def _run(docs: dict[str, dict[str, Any] | None]) -> dict[str, Any]:
    return {
        "sections": {
            name: {"json": doc, "reason": None if doc else "exited with status 1"}
            for name, doc in docs.items()
        }
    }


def test_every_case_of_the_largest_size_is_judged_on_its_own_extrapolation() -> None:
    small = {**_case(9_000.0, 900.0), "after_changes": _case(10.0, 500.0)}
    large = {
        **_case(612.0, 1_710.0),
        "changed_fraction": 0.01,
        "after_promotion": _case(99.7, 950.0),
        "after_changes": _case(37.9, 4_200.0),
    }
    verdicts = targets.score_verdicts(_run({"score_25000": small, "score_100000": large}))
    assert [v.met for v in verdicts] == [False, True, False, True, True, False]
    full, _, promotion, _, daily, daily_memory = verdicts
    assert full.target.endswith("< 60 s, full (every history read: a first run or --full)")
    assert full.figure.startswith("612 s (from 100,000 employees: start-up once")
    assert promotion.figure.startswith("100 s")  # rounded, not the smaller size's figure
    assert "1% of the employees changed" in daily.target and daily.figure.startswith("38 s")
    assert daily_memory.figure == "4.10 GiB" and daily_memory.target.endswith("< 4 GB")


def test_a_run_without_national_figures_is_not_judged() -> None:
    old = {"rows_per_s": 4_907.0, "peak_rss_mib": 1_661.0}  # before score.py extrapolated
    (verdict,) = targets.score_verdicts(_run({"score_100000": old}))
    assert verdict.met is None and "no national figures" in verdict.figure
    missing = targets.score_verdicts(_run({"score_100000": None}))
    assert [v.met for v in missing] == [None, None]
    assert "exited with status 1" in missing[0].figure


def test_the_postgresql_scoring_is_judged_apart_and_named() -> None:
    on_sqlite = {**_case(50.0, 1_000.0), "after_promotion": _case(40.0, 900.0)}
    on_postgresql = {**_case(900.0, 1_100.0), "after_promotion": _case(170.0, 990.0)}
    run = _run({"score_100000": on_sqlite, "pgscore_25000": on_postgresql})

    verdicts = targets.all_verdicts(run)
    scoring = [v for v in verdicts if v.target.startswith("batch scoring")]
    sqlite = [v for v in scoring if "PostgreSQL" not in v.target]
    postgresql = [v for v in scoring if "on PostgreSQL" in v.target]
    assert [v.met for v in sqlite] == [True, True, True, True]
    assert [v.met for v in postgresql] == [False, True, False, True]
    assert postgresql[0].figure.startswith("900 s (from 25,000 employees")
    left_out = targets.score_verdicts(_run({"score_100000": on_sqlite}), "pgscore_", " (PG)")
    assert [v.met for v in left_out] == [None, None]
    assert "left out of this run" in left_out[0].figure
