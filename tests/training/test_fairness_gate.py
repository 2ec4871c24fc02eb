"""The fairness gate when no group has enough positives to measure a TPR gap.

A gap that cannot be measured is not a gap of 0.0: the metric is NaN, the card and the
decision say "not measurable", and RISK_GATE_UNMEASURED_FAIRNESS decides promotion
(`promote`, the default, on the other gates with the version tagged `fairness: unmeasured`;
or `refuse`).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from service.config import ConfigError
from training.card import model_card
from training.evaluate import MIN_GROUP_POSITIVES
from training.evaluate import fairness_table
from training.evaluate import max_tpr_gap
from training.pipeline import run
from training.register import Decision
from training.register import Gates
from training.register import decide
from training.register import gates_from
from training.register import version_tags
from training.sample import seed_database
from training.train import PeriodSplit

NAME = "kinerja-risk"
MEASURED = {"roc_auc": 0.80, "ece": 0.02}
UNMEASURED = {**MEASURED, "fairness_max_tpr_gap": float("nan")}


def _groups(positives: int) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Two genders and two age bands, each with about `positives` poor outcomes (half flagged
    for one gender, all for the other): a TPR gap of 0.5 when it can be measured."""
    y = np.array(([1] * positives + [0] * 10) * 2)
    flagged = np.concatenate([np.arange(positives + 10) % 2 == 0, np.ones(positives + 10)])
    rows = positives + 10
    age_band = np.array(["<30", "30-39"])[np.arange(2 * rows) % 2]  # half of each gender's
    groups = pd.DataFrame({"gender": ["L"] * rows + ["P"] * rows, "age_band": age_band})
    return y, flagged.astype(bool), groups


def test_a_gap_no_group_can_measure_is_nan_not_zero() -> None:
    y, flagged, groups = _groups(MIN_GROUP_POSITIVES - 1)
    assert math.isnan(max_tpr_gap(fairness_table(y, flagged, groups)))


def test_a_gap_two_groups_can_measure_is_measured() -> None:
    y, flagged, groups = _groups(MIN_GROUP_POSITIVES)
    assert max_tpr_gap(fairness_table(y, flagged, groups)) == pytest.approx(0.5)


def test_an_attribute_with_one_measurable_group_has_no_gap() -> None:
    """One gender with 20 positives and one with 19: nothing to compare it with."""
    table = pd.DataFrame(
        {"attribute": ["gender", "gender"], "group": ["L", "P"], "tpr": [0.9, 0.1],
         "positives": [MIN_GROUP_POSITIVES, MIN_GROUP_POSITIVES - 1], "rows": [100, 100]}
    )  # fmt: skip
    assert math.isnan(max_tpr_gap(table))


def test_an_unmeasured_gap_promotes_on_the_other_gates_by_default_and_says_so() -> None:
    decision = decide(UNMEASURED, Decision(True), Gates())
    assert decision.promote is True
    [reason] = [r for r in decision.reasons if r.startswith("fairness_max_tpr_gap")]
    assert "not measurable" in reason and "fairness: unmeasured" in reason
    assert "0.0000" not in reason


def test_an_unmeasured_gap_still_needs_the_other_gates() -> None:
    decision = decide({**UNMEASURED, "ece": 0.2}, Decision(True), Gates())
    assert decision.promote is False


def test_an_unmeasured_gap_is_refused_when_the_rule_says_so() -> None:
    decision = decide(UNMEASURED, Decision(True), Gates(unmeasured_fairness="refuse"))
    assert decision.promote is False
    assert any("not measurable" in r and "refuse" in r for r in decision.reasons)


def test_the_unmeasured_rule_comes_from_the_configuration() -> None:
    assert gates_from({}).unmeasured_fairness == "promote"
    chosen = gates_from({"RISK_GATE_UNMEASURED_FAIRNESS": "refuse"})
    assert chosen == Gates(unmeasured_fairness="refuse")
    with pytest.raises(ConfigError, match="RISK_GATE_UNMEASURED_FAIRNESS must be"):
        gates_from({"RISK_GATE_UNMEASURED_FAIRNESS": "maybe"})


def test_the_version_tags_and_the_card_say_unmeasured() -> None:
    tags = version_tags("0" * 64, {"*": 0.1}, UNMEASURED)
    assert tags["fairness"] == "unmeasured"
    assert (
        version_tags("0" * 64, {"*": 0.1}, {**MEASURED, "fairness_max_tpr_gap": 0.05})["fairness"]
        == "measured"
    )
    context = {"window": ("2024-Q1", "2025-Q3"), "split": PeriodSplit(("2024-Q1",), "2025-Q2",
               "2025-Q3"), "snapshot": "s", "rows": 10, "employees": "10 employees"}  # fmt: skip
    fairness = pd.DataFrame(
        {"attribute": ["gender"], "group": ["L"], "tpr": [0.5], "positives": [3], "rows": [9]}
    )
    importance = pd.DataFrame({"feature": ["f"], "label_en": ["F"], "importance": [0.1]})
    card = model_card(NAME, "3", context, UNMEASURED, fairness, importance, [])
    assert "fairness: unmeasured" in card
    assert "| Largest TPR gap (gender, age band) | not measurable |" in card
    assert "| nan |" not in card


@pytest.mark.slow
def test_a_tiny_dataset_trains_promotes_and_marks_fairness_unmeasured(tmp_path: Path) -> None:
    """150 employees: about 15 poor outcomes in the held-out quarter, no group near 20."""
    database_url = seed_database(tmp_path / "kinerja.db", 150, 7)
    tracking_uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    gates = Gates(max_ece=1.0, max_tpr_gap=0.10)  # the calibration of 150 people is not tested
    summary = run(database_url, tracking_uri, tmp_path / "models", threads=1, gates=gates,
                  compare=False)  # fmt: skip
    assert math.isnan(summary.metrics["fairness_max_tpr_gap"])
    assert summary.promoted, summary.reasons
    assert any("not measurable" in reason for reason in summary.reasons)
    client = MlflowClient(tracking_uri, tracking_uri)
    version = client.get_model_version(NAME, summary.version)
    assert version.tags["fairness"] == "unmeasured"
    assert "not measurable" in version.tags["decision"]
    card = Path(client.download_artifacts(summary.run_id, "model_card.md", str(tmp_path)))
    assert "fairness: unmeasured" in card.read_text()
    logged = client.get_run(summary.run_id).data
    assert math.isnan(logged.metrics["fairness_max_tpr_gap"])
    assert logged.params["gate.unmeasured_fairness"] == "promote"
