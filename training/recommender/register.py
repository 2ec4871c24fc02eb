"""Log, register and gate the recommender as `kinerja-recommender` (API.md "Model registry").

The registry, alias and export machinery is the risk model's (`training.register`,
`service.serving.loader`); only what differs is here: the model's skops type, its example
input and its gates. A new version becomes `champion` when
- it ranks at least as well as the current champion on the same held-out employees
  (`report.ranking_score`: ndcg_at_5 against the truth, or the held-out gain error), and
- it ranks at least as well as the rule-based fallback the service would serve without it
  (ndcg_at_5 >= baseline_rule_ndcg_at_5 with truth; without truth, a held-out gain error no
  larger than the content prior's).
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.artifacts import download_artifacts

from service.domain.program_effects import GapClosureModel
from service.domain.ranking import GainModel
from service.serving.loader import MODEL_FILE
from service.serving.loader import SHA256_TAG
from service.serving.loader import ModelLoadError
from service.serving.loader import RegistryUnreachable
from service.serving.loader import champion_version
from service.serving.loader import load_version
from service.serving.loader import sha256_of
from training.register import CHAMPION

#: The one type outside skops' defaults in a recommender file.
MODEL_TYPE = f"{GapClosureModel.__module__}.{GapClosureModel.__qualname__}"
DESCRIPTION = "Training recommender: expected competency-gap closure per programme"


@dataclass
class Decision:
    """Whether the candidate is promoted, why, and the champion's score on the same data."""

    promote: bool
    reasons: list[str] = field(default_factory=list)
    champion_score: float | None = None
    champion_version: str | None = None


def log_candidate(model: GapClosureModel) -> tuple[str, str]:
    """Log the fitted model (skops) in the active run; return (model URI, file sha256)."""
    example = pd.DataFrame(
        {
            "training_code": [p for p, *_ in model.links[:3]],
            "competency_code": [c for _, c, *_ in model.links[:3]],
            "level": [2.0] * min(3, len(model.links)),
        }
    )
    info = mlflow.sklearn.log_model(
        sk_model=model,
        name="model",
        serialization_format="skops",
        skops_trusted_types=[MODEL_TYPE],
        input_example=example,
    )
    with tempfile.TemporaryDirectory() as tmp:
        # `models:/<model id>/<file>` does not resolve in MLflow 3; the location does.
        local = download_artifacts(artifact_uri=f"{info.artifact_path}/{MODEL_FILE}", dst_path=tmp)
        return info.model_uri, sha256_of(Path(local))


def ensure_registered(client: MlflowClient, name: str) -> None:
    """Create the registered model with its description when it does not exist yet."""
    try:
        client.get_registered_model(name)
    except mlflow.exceptions.MlflowException:
        client.create_registered_model(name, description=DESCRIPTION)


def champion_check(
    client: MlflowClient, name: str, score: Callable[[GainModel], float]
) -> Decision:
    """Score the current champion with `score` (None when there is none or it cannot load)."""
    current = champion_version(client, name, CHAMPION)
    if current is None:
        return Decision(promote=True)
    try:
        value = score(load_version(client, current).pipeline)
    except (ModelLoadError, RegistryUnreachable, AttributeError, ValueError) as exc:
        # Its artefacts are gone (the candidate was just logged to the same store).
        reason = f"champion v{current.version} cannot be scored on the held-out data ({exc})"
        return Decision(True, [reason], None, str(current.version))
    return Decision(True, [], value, str(current.version))


def decide(candidate: float, metrics: dict[str, float], champion: Decision) -> Decision:
    """Apply the two gates of the module docstring; `candidate` is the ranking score."""
    reasons, ok = list(champion.reasons), True
    if champion.champion_score is not None:
        better = candidate >= champion.champion_score
        ok &= better
        verb = "at least as good as" if better else "worse than"
        reasons.append(
            f"ranking score {candidate:.4f} {verb} champion v{champion.champion_version} "
            f"({champion.champion_score:.4f}) on the same held-out data"
        )
    if "baseline_rule_ndcg_at_5" in metrics:
        mine, rule = metrics["ndcg_at_5"], metrics["baseline_rule_ndcg_at_5"]
        passed = mine >= rule
        reasons.append(f"ndcg_at_5 {mine:.4f} {'>=' if passed else '<'} rule fallback {rule:.4f}")
    else:
        mine, prior = metrics["heldout_gain_mae"], metrics["baseline_prior_heldout_gain_mae"]
        # No held-out error at all (NaN) is no evidence: not promoted.
        passed = not math.isnan(mine) and (math.isnan(prior) or mine <= prior)
        reasons.append(f"heldout_gain_mae {mine:.4f} vs content prior {prior:.4f}")
    ok &= passed
    return Decision(bool(ok), reasons, champion.champion_score, champion.champion_version)


def version_tags(sha256: str, metrics: dict[str, float]) -> dict[str, str]:
    """Tags every recommender version carries: checksum and headline metrics."""
    headline = ("ndcg_at_5", "gap_closure_at_3", "oracle_gap_closure_at_3", "heldout_gain_mae")
    return {SHA256_TAG: sha256, **{k: f"{metrics[k]:.4f}" for k in headline if k in metrics}}
