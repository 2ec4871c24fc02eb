"""What the data team reads about the risk model: registered versions and one run's report.

`registered_versions` is what `GET /models` lists. `version_report` reads what training logged
for one version's run (`training/pipeline.py`): all its metrics, the fairness table
(`tables/fairness.csv`: TPR by gender and age band), the reliability table
(`tables/reliability.csv`: observed poor rate per probability bin) and the model card
(`model_card.md`). A run's artefacts never change, so a report is read once per process.
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from service.serving.loader import RegistryUnreachable
from service.serving.loader import registry_client
from service.serving.predictor import RISK_MODEL_NAME
from service.serving.registry import list_versions

FAIRNESS_FILE = "tables/fairness.csv"
RELIABILITY_FILE = "tables/reliability.csv"
CARD_FILE = "model_card.md"
GATE_PREFIX = "gate."
#: The numeric gates a run logs (`gate.unmeasured_fairness` is a rule, not a limit).
GATE_LIMITS = ("max_ece", "max_tpr_gap")
#: Reports kept in memory (one per run shown; a run's artefacts are immutable).
CACHED_REPORTS = 32

Rows = tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class VersionReport:
    """One run's logged metrics, tables and model card (empty where nothing was logged).

    Attributes
    ----------
    metrics : every metric of the run (headline, baselines, flag_rate, recall_at_threshold...)
    gates : the promotion gates the run applied (`max_ece`, `max_tpr_gap`), when logged
    fairness : rows with attribute, group, tpr, positives, rows
    reliability : rows with bin, rows, predicted, observed (bins of width 0.1)
    card : the model card's markdown, or None
    """

    metrics: dict[str, float]
    gates: dict[str, float]
    fairness: Rows
    reliability: Rows
    card: str | None


def registered_versions(
    tracking_uri: str, name: str = RISK_MODEL_NAME
) -> tuple[list[dict[str, Any]], str | None]:
    """The registry's versions, newest first (as `GET /models`), or the reason it is down."""
    try:
        return list_versions(tracking_uri, name), None
    except RegistryUnreachable as exc:
        return [], str(exc)


@lru_cache(maxsize=CACHED_REPORTS)
def version_report(tracking_uri: str, run_id: str) -> VersionReport:
    """Read run `run_id`'s metrics and artefacts; RegistryUnreachable if the store is down.

    A missing artefact (a run that failed half-way, an older pipeline) leaves its part
    empty. Failures are not cached: the next call tries again.
    """
    client = registry_client(tracking_uri)
    try:
        run = client.get_run(run_id).data
        gates = {
            name: float(run.params[GATE_PREFIX + name])
            for name in GATE_LIMITS
            if GATE_PREFIX + name in run.params
        }
        with tempfile.TemporaryDirectory() as tmp:
            files = {
                path: _download(client, run_id, path, Path(tmp))
                for path in (FAIRNESS_FILE, RELIABILITY_FILE, CARD_FILE)
            }
            return VersionReport(
                dict(run.metrics),
                gates,
                _csv(files[FAIRNESS_FILE]),
                _csv(files[RELIABILITY_FILE]),
                files[CARD_FILE].read_text(encoding="utf-8") if files[CARD_FILE] else None,
            )
    except Exception as exc:  # noqa: BLE001 - any backend failure means "unreachable"
        raise RegistryUnreachable(f"run {run_id}: {exc}") from exc


def _download(client: Any, run_id: str, path: str, directory: Path) -> Path | None:
    """Download one artefact of the run into `directory`; None when the run has none."""
    parent = path.rpartition("/")[0] or None
    listed = {item.path for item in client.list_artifacts(run_id, parent)}
    if path not in listed:
        return None
    return Path(client.download_artifacts(run_id, path, str(directory)))


def _csv(path: Path | None) -> Rows:
    """Rows of a CSV artefact with numbers parsed (text stays text)."""
    if path is None:
        return ()
    with path.open(newline="", encoding="utf-8") as handle:
        return tuple({k: _number(v) for k, v in row.items()} for row in csv.DictReader(handle))


def _number(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text


def roc_points(reliability: Rows) -> list[tuple[float, float]]:
    """(false-positive rate, true-positive rate) when flagging from each bin upwards.

    The reliability table gives, per probability bin, its rows and observed poor rate, so
    flagging everyone in bins >= k is an exact point of the ROC curve at threshold k / 10:
    a coarse curve (one point per bin) from (0, 0) to (1, 1).
    """
    bins = sorted(reliability, key=lambda row: -row["bin"])
    positives = [row["rows"] * row["observed"] for row in bins]
    negatives = [row["rows"] - p for row, p in zip(bins, positives, strict=True)]
    total_p, total_n = sum(positives), sum(negatives)
    if total_p <= 0 or total_n <= 0:
        return []
    points, tp, fp = [(0.0, 0.0)], 0.0, 0.0
    for p, n in zip(positives, negatives, strict=True):
        tp, fp = tp + p, fp + n
        points.append((fp / total_n, tp / total_p))
    return points


def operating_point(metrics: dict[str, float]) -> tuple[float, float] | None:
    """(FPR, TPR) at the model's flag threshold, from flag rate, recall and base rate."""
    try:
        flag, recall, base = (
            metrics[k] for k in ("flag_rate", "recall_at_threshold", "base_rate")
        )
    except KeyError:
        return None
    if not 0 < base < 1:
        return None
    false_flags = max(flag - recall * base, 0.0)
    return (min(false_flags / (1 - base), 1.0), recall)
