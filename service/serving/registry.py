"""What GET /api/v1/models shows: registered versions, their metrics, aliases and drift."""

from __future__ import annotations

import math
from typing import Any

from service.serving.loader import RegistryUnreachable
from service.serving.loader import registry_client

HEADLINE = (
    "roc_auc",
    "pr_auc",
    "brier",
    "ece",
    "baseline_rule_roc_auc",
    "baseline_logreg_roc_auc",
    "oracle_roc_auc",
    "fairness_max_tpr_gap",
    "threshold",
)
DRIFT_PREFIX = "psi."


def _role(aliases: list[str]) -> str:
    for role in ("champion", "previous"):
        if role in aliases:
            return role
    return "candidate"


def _version(client: Any, version: Any, aliases: dict[str, str]) -> dict[str, Any]:
    metrics = client.get_run(version.run_id).data.metrics if version.run_id else {}
    drift = {k[len(DRIFT_PREFIX) :]: v for k, v in metrics.items() if k.startswith(DRIFT_PREFIX)}
    mine = sorted(
        alias for alias, number in aliases.items() if str(number) == str(version.version)
    )
    return {
        "name": version.name,
        "version": str(version.version),
        "role": _role(mine),
        "aliases": mine,
        "run_id": version.run_id,
        "created_at": version.creation_timestamp,
        "promoted": version.tags.get("promoted") == "True",
        "decision": version.tags.get("decision"),
        # A metric that could not be measured (NaN: a fairness gap with too few poor
        # outcomes per group) is left out; the decision says why.
        "metrics": {k: metrics[k] for k in HEADLINE if k in metrics and math.isfinite(metrics[k])},
        "drift": dict(sorted(drift.items(), key=lambda kv: -kv[1])),
    }


def list_versions(tracking_uri: str, name: str, limit: int = 20) -> list[dict[str, Any]]:
    """The latest `limit` versions of `name`, newest first; RegistryUnreachable if down.

    Aliases come from the registered model (version search results do not carry them).
    """
    client = registry_client(tracking_uri)
    from mlflow.exceptions import MlflowException

    try:
        found = client.search_model_versions(f"name = '{name}'", max_results=limit)
        aliases = dict(client.get_registered_model(name).aliases) if found else {}
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            return []
        raise RegistryUnreachable(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - backend errors of any kind mean "unreachable"
        raise RegistryUnreachable(str(exc)) from exc
    versions = sorted(found, key=lambda v: int(v.version), reverse=True)[:limit]
    return [_version(client, v, aliases) for v in versions]
