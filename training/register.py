"""Log the candidate, register it as `kinerja-risk`, promote it only through every gate.

A new version becomes `champion` when it is at least as good as the current champion on the
same held-out rows, its calibration error is at most 0.05 and its largest true-positive-rate
gap between groups is at most 0.10; the replaced champion keeps the alias `previous`. A gap
that cannot be measured (no two groups of a gender or age band with enough positives) is NaN,
never 0: `Gates.unmeasured_fairness` then promotes on the other gates, the version tagged
`fairness: unmeasured` (the default), or refuses. The champion is then exported with its
sha256 to KINERJA_MODELS_DIR for serving without MLflow.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient
from mlflow.artifacts import download_artifacts
from sklearn.metrics import roc_auc_score

from service.config import ConfigError
from service.features import FEATURE_NAMES
from service.features import LABEL
from service.serving.loader import MODEL_FILE
from service.serving.loader import RELIABILITY_TAG
from service.serving.loader import RULE_TABLE_TAG
from service.serving.loader import SHA256_TAG
from service.serving.loader import TRUSTED_TYPES
from service.serving.loader import ModelLoadError
from service.serving.loader import RegistryUnreachable
from service.serving.loader import champion_version
from service.serving.loader import load_version
from service.serving.loader import sha256_of
from service.serving.loader import write_export
from service.serving.uncertainty import Band
from service.serving.uncertainty import bands_to_json
from training.evaluate import MIN_GROUP_POSITIVES

REQUIREMENTS = ("scikit-learn", "skops", "numpy", "pandas", "kinerja")
CHAMPION = "champion"
PREVIOUS = "previous"
MAX_ECE = 0.05
MAX_TPR_GAP = 0.10
#: What an unmeasurable TPR gap does to promotion: promote on the other gates (tagging the
#: version `fairness: unmeasured`), or refuse.
UNMEASURED_RULES = ("promote", "refuse")
FAIRNESS_TAG = "fairness"


@dataclass(frozen=True)
class Gates:
    """Promotion limits: calibration error and the largest true-positive-rate gap, and the
    rule for a gap that cannot be measured (`promote` or `refuse`)."""

    max_ece: float = MAX_ECE
    max_tpr_gap: float = MAX_TPR_GAP
    unmeasured_fairness: str = UNMEASURED_RULES[0]


DEFAULT_GATES = Gates()

#: Settings that override the gates (service.config.ENV_KEYS documents them).
GATE_SETTINGS = {"RISK_GATE_MAX_ECE": "max_ece", "RISK_GATE_MAX_TPR_GAP": "max_tpr_gap"}
UNMEASURED_SETTING = "RISK_GATE_UNMEASURED_FAIRNESS"


def gates_from(config: Mapping[str, Any]) -> Gates:
    """The promotion gates the configuration sets, the national defaults otherwise.

    The limits are policy, not physics: an agency (or a 400-person demo, where a group holds
    about twenty positives and a TPR's standard error is near 0.11) may set its own.
    """
    chosen: dict[str, float] = {}
    for key, name in GATE_SETTINGS.items():
        raw = config.get(key)
        if raw in (None, ""):
            continue
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{key} must be a number between 0 and 1, not {raw!r}") from None
        if not 0.0 < value <= 1.0:
            raise ConfigError(f"{key} must be a number between 0 and 1, not {raw!r}")
        chosen[name] = value
    rule = config.get(UNMEASURED_SETTING)
    if rule not in (None, ""):
        if str(rule).strip().lower() not in UNMEASURED_RULES:
            raise ConfigError(f"{UNMEASURED_SETTING} must be promote or refuse, not {rule!r}")
        return Gates(**chosen, unmeasured_fairness=str(rule).strip().lower())
    return Gates(**chosen)


@dataclass
class Decision:
    """Whether the candidate is promoted, and the reason for each gate."""

    promote: bool
    reasons: list[str] = field(default_factory=list)
    champion_roc_auc: float | None = None
    champion_version: str | None = None


def pinned_requirements() -> list[str]:
    """The packages the model needs, pinned to this environment (no slow inference)."""
    return [f"{name}=={version(name)}" for name in REQUIREMENTS]


def log_candidate(pipeline: Any) -> tuple[str, str]:
    """Log the fitted pipeline (skops) in the active run; return (model URI, file sha256).

    The input example is the typical (median) row, so no employee's data is copied into it.
    """
    typical = pipeline.named_steps["features"].reference_values_
    info = mlflow.sklearn.log_model(
        sk_model=pipeline,
        name="model",
        serialization_format="skops",
        skops_trusted_types=list(TRUSTED_TYPES),
        input_example=pd.DataFrame([typical], columns=list(FEATURE_NAMES)),
        pip_requirements=pinned_requirements(),
    )
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(download_artifacts(artifact_uri=info.model_uri, dst_path=tmp))
        return info.model_uri, sha256_of(local / MODEL_FILE)


def register(
    client: MlflowClient, name: str, model_uri: str, run_id: str, tags: dict[str, str]
) -> str:
    """Register `model_uri` as a new version of `name` carrying `tags`; return the version.

    A tracking server accepts a `models:/<model id>` source only with its `model_id`.
    """
    try:
        client.get_registered_model(name)
    except mlflow.exceptions.MlflowException:
        client.create_registered_model(name, description="Risk of a poor next-period predikat")
    model_id = model_uri.removeprefix("models:/") if model_uri.startswith("models:/") else None
    version = client.create_model_version(
        name, model_uri, run_id=run_id, tags=tags, model_id=model_id
    )
    return str(version.version)


def version_tags(
    sha256: str,
    rule_table: dict[str, float],
    metrics: dict[str, float],
    bands: Sequence[Band] = (),
) -> dict:
    """Tags every version carries: checksum, fallback rule table, headline metrics, whether
    its fairness was measured (`fairness: measured` or `unmeasured`), and its held-out
    record per probability band (what the answers' `uncertainty` cites)."""
    headline = {k: f"{metrics[k]:.4f}" for k in ("roc_auc", "ece", "fairness_max_tpr_gap")}
    measured = bool(np.isfinite(metrics["fairness_max_tpr_gap"]))
    fairness = {FAIRNESS_TAG: "measured" if measured else "unmeasured"}
    reliability = {RELIABILITY_TAG: bands_to_json(bands)} if bands else {}
    tables = {RULE_TABLE_TAG: json.dumps(rule_table), **reliability}
    return {SHA256_TAG: sha256, **tables, **headline, **fairness}


def champion_score(client: MlflowClient, name: str, test: pd.DataFrame) -> Decision:
    """ROC AUC of the current champion on the candidate's held-out rows (None: no champion)."""
    current = champion_version(client, name, CHAMPION)
    if current is None:
        return Decision(promote=True)
    y = test[LABEL].to_numpy()
    if not 0 < y.sum() < len(y):
        reason = f"held-out rows hold one class only: no roc_auc for champion v{current.version}"
        return Decision(True, [reason], None, str(current.version))
    try:
        model = load_version(client, current)
        probability = model.pipeline.predict_proba(test)[:, 1]
    except (ModelLoadError, RegistryUnreachable, ValueError) as exc:
        # The candidate was just logged to the same tracking store, so a champion that
        # cannot be downloaded has lost its artefacts; it must not block every retrain.
        reason = f"champion v{current.version} cannot score the held-out rows ({exc})"
        return Decision(True, [reason], None, str(current.version))
    auc = float(roc_auc_score(y, probability))
    return Decision(True, [], auc, str(current.version))


def decide(
    metrics: dict[str, float], champion: Decision, gates: Gates = DEFAULT_GATES
) -> Decision:
    """Apply the three gates; `champion` carries the champion's AUC on the same rows.

    A gated metric that is missing or not finite (a held-out period of one class has no
    roc_auc) fails its gate: a candidate that cannot be measured is not promoted.
    """
    reasons, ok = list(champion.reasons), True
    auc = metrics.get("roc_auc", float("nan"))
    if "roc_auc" not in metrics or not np.isfinite(auc):
        ok = False
        shown = f"{auc:.4f}" if "roc_auc" in metrics else "missing"
        reasons.append(f"roc_auc {shown}: the candidate cannot be ranked on the held-out rows")
    elif champion.champion_roc_auc is not None:
        better = auc >= champion.champion_roc_auc
        ok &= better
        verb = "at least as good as" if better else "worse than"
        reasons.append(
            f"roc_auc {auc:.4f} {verb} champion v{champion.champion_version} "
            f"({champion.champion_roc_auc:.4f}) on the same held-out rows"
        )
    for metric, limit in (("ece", gates.max_ece), ("fairness_max_tpr_gap", gates.max_tpr_gap)):
        if metric not in metrics:
            ok = False
            reasons.append(f"{metric} missing: gate <= {limit} not met")
            continue
        value = metrics[metric]
        if metric == "fairness_max_tpr_gap" and np.isnan(value):
            refuse = gates.unmeasured_fairness == "refuse"
            ok &= not refuse
            reasons.append(_unmeasured_reason(limit, refuse))
            continue
        passed = bool(np.isfinite(value) and value <= limit)
        ok &= passed
        reasons.append(f"{metric} {value:.4f} {'<=' if passed else '>'} {limit}")
    return Decision(bool(ok), reasons, champion.champion_roc_auc, champion.champion_version)


def _unmeasured_reason(limit: float, refuse: bool) -> str:
    outcome = (
        "not promoted for that (RISK_GATE_UNMEASURED_FAIRNESS=refuse)"
        if refuse
        else "gate <= {limit} not applied, the decision rests on the other gates and the "
        "version is tagged fairness: unmeasured (RISK_GATE_UNMEASURED_FAIRNESS=promote)"
    )
    return (
        "fairness_max_tpr_gap not measurable: no gender or age band has two groups with at "
        f"least {MIN_GROUP_POSITIVES} poor outcomes in the held-out rows; "
        + outcome.format(limit=limit)
    )


def promote(client: MlflowClient, name: str, version: str, previous: str | None) -> None:
    """Point `champion` at `version` and `previous` at the replaced champion."""
    if previous is not None and previous != version:
        client.set_registered_model_alias(name, PREVIOUS, previous)
    client.set_registered_model_alias(name, CHAMPION, version)


def export_champion(client: MlflowClient, name: str, models_dir: str | Path) -> Path | None:
    """Copy the current champion's file, checksum and metadata to `models_dir/<name>/`."""
    current = champion_version(client, name, CHAMPION)
    if current is None:
        return None
    uri = client.get_model_version_download_uri(name, current.version)
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(download_artifacts(artifact_uri=f"{uri}/{MODEL_FILE}", dst_path=tmp))
        if sha256_of(local) != current.tags.get(SHA256_TAG):
            raise ModelLoadError(f"{name} v{current.version}: artifact checksum does not match")
        metadata = {
            "name": name,
            "version": str(current.version),
            "run_id": current.run_id,
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "rule_table": json.loads(current.tags.get(RULE_TABLE_TAG, "{}")),
            "reliability": current.tags.get(RELIABILITY_TAG),
            "feature_names": list(FEATURE_NAMES),
        }
        return write_export(models_dir, name, local, metadata)
