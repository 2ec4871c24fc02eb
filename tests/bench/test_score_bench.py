"""bench/score.py on the trained test sample: a full scoring, a re-score after a promotion and
one after some employees changed, each with its figures in the JSON line the report reads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.service.serving.samples import risk_sample  # noqa: F401 (fixture)
from tests.service.serving.samples import sample_copy  # noqa: F401 (fixture)
from training.sample import Sample

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import report  # noqa: E402


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
    promoted, changed = doc["after_promotion"], doc["after_changes"]
    assert promoted["reused"] == employees and promoted["recomputed"] == 0
    assert changed["recomputed"] == round(employees * 0.05)
    assert changed["untouched"] == employees - changed["recomputed"]
    assert promoted["flagged"] == doc["flagged"] == changed["flagged"]
    assert "re-score after a promotion" in done.stdout

    run = {"sections": {f"score_{employees}": {"json": doc}}}
    lines = report._rescoring(run)
    assert any("re-score after 5% of the employees changed" in line for line in lines)
    assert any(f"0 / {employees:,} / 0" in line for line in lines)
