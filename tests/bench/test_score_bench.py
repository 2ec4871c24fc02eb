"""bench/score.py on the trained test sample: a full scoring, a re-score after a promotion and
one after some employees changed, each at two sizes with its figures in the JSON line the
report reads; and its extrapolation to national size (fixed start-up + cost per employee)
on figures it measured."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PG_URL
from tests.service.serving.samples import risk_sample  # noqa: F401 (fixture)
from tests.service.serving.samples import sample_copy  # noqa: F401 (fixture)
from training.sample import Sample
from training.score import STAGES

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import report  # noqa: E402
import score  # noqa: E402


def test_score_bench_measures_full_and_incremental_runs(sample_copy: Sample) -> None:  # noqa: F811
    directory = Path(sample_copy.models_dir).parent
    command = [
        sys.executable, str(ROOT / "bench" / "score.py"), "--sample", str(directory),
        "--workers", "1", "--reads", "3", "--changed", "0.05",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    doc = json.loads(done.stdout.strip().splitlines()[-1])
    employees = doc["employees"]
    assert doc["benchmark"] == "score" and doc["recomputed"] == employees > 0
    assert doc["rows_per_s"] > 0 and doc["national_seconds"] > 0  # what bench/run.py reads
    assert doc["smaller"]["employees"] < employees == doc["smaller"]["employees"] * 2
    assert doc["peak_rss_mib"] == pytest.approx(score.peak_mib(doc), abs=0.05)
    assert doc["national_peak_mib"] > doc["peak_rss_mib"] > 0 and doc["worker_peaks_mib"] == []
    promoted, changed = doc["after_promotion"], doc["after_changes"]
    assert promoted["reused"] == employees and promoted["recomputed"] == 0
    assert changed["recomputed"] == round(employees * 0.05)
    assert changed["untouched"] == employees - changed["recomputed"]
    assert promoted["flagged"] == doc["flagged"] == changed["flagged"]
    assert "re-score after a promotion" in done.stdout
    following = doc["next_period"]  # the previous period's slices and the latest's rows
    assert following["recomputed"] == following["sliced"] == employees
    assert following["flagged"] == doc["flagged"]

    run = {"sections": {f"score_{employees}": {"json": doc}}}
    lines = report._rescoring(run)
    assert any("re-score after 5% of the employees changed" in line for line in lines)
    assert any(f"0 / {employees:,} / 0" in line for line in lines)
    assert any("the next period" in line for line in lines)


def measured(
    employees: int, cpu: tuple[float, float, float], stages: tuple[float, ...], mib: list[float]
) -> dict[str, Any]:
    """A run as `score_child.py` reports it: (parent, workers, listing) CPU-seconds, the
    stages' CPU, peaks of the parent, the workers and the resource tracker."""
    return {
        "employees": employees,
        "parent_cpu_seconds": cpu[0],
        "workers_cpu_seconds": cpu[1],
        "listing_cpu_seconds": cpu[2],
        "stage_cpu": dict(zip(STAGES, stages, strict=True)),
        "parent_peak_mib": mib[0],
        "worker_peaks_mib": mib[1:-1],
        "other_peaks_mib": mib[-1:],
    }


#: The 1 %-changed case of `bench/score.py --employees 25000` (chunks of 6,250, two workers),
#: 2026-12-06 11:23 UTC: the run on the first half of the ranges, then on all of them.
SMALLER = measured(
    12_500,
    (1.310003, 4.035683, 0.007511),
    (0.019048, 0.123677, 0.006545, 0.008616, 0.035468, 0.002699),
    [257.449, 225.918, 243.223, 12.789],
)
CHANGED = measured(
    25_000,
    (1.218971, 3.775032, 0.007080),
    (0.047194, 0.253558, 0.013664, 0.016197, 0.065811, 0.005024),
    [258.461, 240.895, 244.996, 12.789],
) | {"smaller": SMALLER}
LISTING_BYTES = 225_000  # tracemalloc's peak for listing the 25,000 ids


def test_extrapolation_is_start_up_once_plus_cost_per_employee() -> None:
    got = score.extrapolate(CHANGED, LISTING_BYTES, workers=2)

    stages = (0.047194 + 0.253558 + 0.013664 + 0.016197 + 0.065811 + 0.005024) / 25_000
    smaller_stages = 0.019048 + 0.123677 + 0.006545 + 0.008616 + 0.035468 + 0.002699
    parent = max(1.310003 - 0.007511, 1.218971 - 0.007080) + 0.007080 / 25_000 * 5_600_000
    start_up = max(4.035683 - smaller_stages, 3.775032 - stages * 25_000)
    scoring = start_up + stages * 5_600_000
    assert got["national_parent_cpu_seconds"] == pytest.approx(parent, abs=0.05)
    assert got["national_scoring_cpu_seconds"] == pytest.approx(scoring, abs=0.05)
    assert got["national_cpu_seconds"] == pytest.approx(parent + scoring, abs=0.05)
    assert got["national_seconds"] == pytest.approx(parent + scoring / 2, abs=0.05)
    assert 40 < got["national_seconds"] < 60  # not 5.6 million / rows per second (~1,000 s)
    held = 258.461 + 240.895 + 244.996 + 12.789
    listing_mib = 9.0 * (5_600_000 - 25_000) / 2**20
    assert got["national_listing_mib"] == pytest.approx(listing_mib, abs=0.05)
    assert got["national_peak_mib"] == pytest.approx(held + listing_mib, abs=0.05)


def test_start_up_is_counted_once_not_per_employee() -> None:
    slower = {**CHANGED, "workers_cpu_seconds": CHANGED["workers_cpu_seconds"] + 2.0}
    slower["smaller"] = {**SMALLER, "workers_cpu_seconds": SMALLER["workers_cpu_seconds"] + 2.0}
    before = score.extrapolate(CHANGED, LISTING_BYTES, workers=2)
    after = score.extrapolate(slower, LISTING_BYTES, workers=2)
    assert after["national_cpu_seconds"] - before["national_cpu_seconds"] == pytest.approx(2.0)
    assert after["national_seconds"] - before["national_seconds"] == pytest.approx(1.0)


def test_one_process_scores_in_the_parent() -> None:
    stages = sum(CHANGED["stage_cpu"].values())
    alone = {**CHANGED, "workers_cpu_seconds": 0.0, "parent_cpu_seconds": 1.2 + stages}
    alone["smaller"] = {**SMALLER, "workers_cpu_seconds": 0.0, "parent_cpu_seconds": 1.3}
    parent, children = score.fixed_cpu(alone, workers=1)
    assert parent == pytest.approx(1.2 - 0.007080) and children == 0.0
    got = score.extrapolate(alone, LISTING_BYTES, workers=1)
    assert got["national_seconds"] == got["national_cpu_seconds"]


@pytest.mark.parametrize(
    ("employees", "chunk_size", "workers", "expected"),
    [(100_000, 25_000, 2, 25_000), (25_000, 25_000, 2, 6_250), (600, 25_000, 1, 300),
     (25_001, 25_000, 2, 6_251), (3, 25_000, 2, 1)],
)  # fmt: skip
def test_chunk_size_gives_every_worker_a_chunk_in_both_runs(
    employees: int, chunk_size: int, workers: int, expected: int
) -> None:
    chunk = score.chunk_size_for(employees, chunk_size, workers)
    assert chunk == expected
    assert math.ceil(employees / chunk) >= min(employees, 2 * workers)


def test_the_database_servers_cpu_counts_per_employee() -> None:
    served = {**CHANGED, "database_cpu_seconds": 2.5}  # PostgreSQL's backends, apart
    before = score.extrapolate(CHANGED, LISTING_BYTES, workers=2)
    after = score.extrapolate(served, LISTING_BYTES, workers=2)

    grown = 2.5 / 25_000 * 5_600_000
    assert after["national_scoring_cpu_seconds"] - before["national_scoring_cpu_seconds"] == (
        pytest.approx(grown, abs=0.1)
    )
    assert after["national_seconds"] - before["national_seconds"] == pytest.approx(
        grown / 2, abs=0.1
    )
    assert after["workers_fixed_cpu_seconds"] == before["workers_fixed_cpu_seconds"]


@pytest.mark.slow
def test_score_bench_on_postgresql_scores_the_samples_records(
    tmp_path: Path, pg_template: str | None
) -> None:
    if pg_template is None:
        pytest.skip("PostgreSQL is not reachable")
    common = [
        sys.executable, str(ROOT / "bench" / "score.py"), "--employees", "300", "--cache",
        str(tmp_path), "--workers", "1", "--reads", "3", "--changed", "0.05",
    ]  # fmt: skip

    def run(*extra: str) -> dict[str, Any]:
        done = subprocess.run([*common, *extra], capture_output=True, text=True, cwd=ROOT)
        assert done.returncode == 0, done.stderr[-2000:]
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))

    on_sqlite, on_postgresql = run(), run("--postgresql", PG_URL)

    assert on_postgresql["employees"] == on_sqlite["employees"] == 300
    assert on_postgresql["flagged"] == on_sqlite["flagged"] > 0  # the same records, answered
    assert on_postgresql["after_promotion"]["reused"] == 300
    assert on_sqlite["database_cpu_seconds"] == 0 < on_postgresql["database_cpu_seconds"]
    assert on_postgresql["database_cpu_us_per_row"] > 0
