"""Rank a team by risk, then answer for the members shown: stored batch scores or live.

Ordering a team needs everyone's probability; showing one page needs full answers (drivers,
feature values for coaching) for that page only. Two sources give the order:

- **stored**: the `risk_scores` rows `kinerja score` wrote, used when they are fresh: every
  member has a row for the period answered now, written by what is served now (the same
  model version, or the rule-based fallback when no model is served) on features of the
  current feature set (`feature_set_id`: the feature code and the 360 minimum,
  KINERJA_FEEDBACK_MIN_GROUP_ANSWERS; a probability computed under a lower minimum may
  rest on a group the results now hide, and the single read does not serve such a row's
  360 driver or explain from its feature row either). The database then counts the team
  and returns the page in order. The page's members are answered from
  their stored feature rows (`page_rows`); only a member changed since the batch run has
  their history read.
- **live**: otherwise, everyone's history is read set-based and scored in one prediction
  call (`serving.batch`); the same rows then answer the page without a second read. This
  costs a read of the whole team's history: about 2 s per thousand members on a busy
  2-core machine (`bench/pages.py`, `team_live`).

Either way the answers shown are computed from the stored data as it is now, exactly as
`GET /employees/{id}/risk` answers, so a supervisor never reads a stale probability. A
member whose record changed after the batch run keeps the batch run's place in the order
until the next `kinerja score`; within the page, members are shown by their live answer.
Both orders are: highest probability first, members without one last, then name and id.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from typing import Literal

import numpy as np
from sqlalchemy.orm import Session

from service.db.repositories import risk as repo
from service.db.repositories import risk_history as history
from service.domain.feedback360_results import DEFAULT_MIN_GROUP_ANSWERS
from service.features import FEATURE_NAMES
from service.features.stored_rows import feature_set_id
from service.features.stored_rows import stored_row
from service.serving.batch import Assessed
from service.serving.batch import FeatureRows
from service.serving.batch import answers
from service.serving.batch import probabilities
from service.serving.batch import read_rows
from service.serving.loader import LoadedModel
from service.serving.predictor import insufficient_answer
from service.serving.predictor import model_block

Source = Literal["stored", "live", "none"]
#: (id, name) of a member, as the repository returns them.
Member = Any


@dataclass(frozen=True)
class Ranking:
    """A team in risk order: its size, one page of members, and answers on demand.

    `page(limit, offset)` returns the members (with `id` and `name`) of one page in order;
    `assess(ids)` the answer and feature values of each of `ids`, in that order.
    """

    total: int
    source: Source
    page: Callable[[int, int], list[Member]]
    assess: Callable[[list[int]], list[Assessed]]


def rank_key(probability: float | None, name: str) -> tuple[int, float, str]:
    """Highest probability first; members without an estimate last; then by name."""
    return (1, 0.0, name) if probability is None else (0, -probability, name)


def stored_ranking(
    session: Session,
    supervisor_id: int,
    period: str,
    model: LoadedModel | None,
    table: Callable[[], dict[str, float]],
    min_group_answers: int = DEFAULT_MIN_GROUP_ANSWERS,
) -> Ranking | None:
    """The team ordered by its fresh batch scores, or None when they are not all fresh.

    `table` gives the fallback's rate table (asked only when no model is served);
    `min_group_answers` is the configured 360 threshold: scores computed with another
    (another `feature_set_id`) are not fresh, and the page's feature rows apply it.
    """
    version = model.version if model is not None else None
    features = feature_set_id(min_group_answers)
    members, fresh = repo.team_scored(
        session, supervisor_id, period, version, model is None, features
    )
    if fresh != members:
        return None

    def page(limit: int, offset: int) -> list[Member]:
        return repo.team_page_by_score(session, supervisor_id, period, limit, offset)

    def assess(ids: list[int]) -> list[Assessed]:
        if not ids:
            return []
        rows = page_rows(session, ids, period, min_group_answers)
        return answers(rows.take(ids), model, table() if model is None else {})

    return Ranking(members, "stored", page, assess)


def page_rows(
    session: Session,
    ids: list[int],
    period: str,
    min_group_answers: int = DEFAULT_MIN_GROUP_ANSWERS,
) -> FeatureRows:
    """The feature rows of a page's members: from their stored scores where a fresh one holds
    a feature row of the current feature set (what a read of the history gives now, with
    the 360 threshold `min_group_answers`), read from the history for the others (changed
    since the batch run, or never scored)."""
    kept: dict[int, np.ndarray] = {}
    features = feature_set_id(min_group_answers)
    for row in repo.stored_feature_rows(session, ids, period, features):
        vector = stored_row(row.features, row.feature_set, min_group_answers)
        if vector is not None:
            kept[row.employee_id] = vector
    missing = sorted(set(ids) - kept.keys())
    read = (
        read_rows(session, history.ids_filter(missing), period, min_group_answers)
        if missing
        else None
    )
    found = np.fromiter(kept, dtype=np.int64, count=len(kept))
    X = np.array(list(kept.values())).reshape(len(kept), len(FEATURE_NAMES))
    if read is not None:
        found, X = np.concatenate([found, read.employee_ids]), np.vstack([X, read.X])
    order = np.argsort(found, kind="stable")
    return FeatureRows(period, found[order], X[order])


def live_ranking(
    session: Session,
    supervisor_id: int,
    period: str,
    model: LoadedModel | None,
    table: dict[str, float],
    min_group_answers: int = DEFAULT_MIN_GROUP_ANSWERS,
) -> Ranking:
    """Read and score the whole team now; the page's answers reuse the rows read."""
    members = repo.team_members(session, supervisor_id)
    rows = read_rows(session, history.team_filter(supervisor_id), period, min_group_answers)
    found = probabilities(rows, model, table)
    probability = {
        employee_id: None if math.isnan(p) else float(p)
        for employee_id, p in zip(rows.employee_ids.tolist(), found.tolist(), strict=True)
    }
    ordered = sorted(members, key=lambda m: rank_key(probability.get(m.id), m.name))
    return Ranking(
        len(members),
        "live",
        lambda limit, offset: ordered[offset : offset + limit],
        lambda ids: answers(rows.take(ids), model, table),
    )


def no_period_ranking(session: Session, supervisor_id: int, model: LoadedModel | None) -> Ranking:
    """Nothing is evaluated yet: everyone by name, each without enough data."""
    members = repo.team_members(session, supervisor_id)
    block = model_block(model, model is None)
    return Ranking(
        len(members),
        "none",
        lambda limit, offset: members[offset : offset + limit],
        lambda ids: [(insufficient_answer(i, None, block), {}) for i in ids],
    )
