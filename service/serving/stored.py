"""The risk read from a stored batch score: one indexed lookup instead of history and trees.

`kinerja score` writes every employee's answer for the latest period into `risk_scores`; a
row is served as the answer when it is for the period answered now and the model version
served now. Batch scoring explains only the flagged by default and stores JSON null as the
drivers of the others: those are explained here from the row's stored feature row (one
prediction call on the row and its substitutions, no read of the history). Rows written
before that marker hold an empty list for them, so run `kinerja score` once after
upgrading. Rows whose inputs changed since are marked outdated by the write that changed
them (`serving.freshness`) and are not read here, so a row that answers is right. Under the
rule-based fallback the live path answers: its rate table may differ from the one the batch
used. A row computed with another feature set (`feature_set_id`: the feature code and the
360 threshold) is answered live, as the team ranking treats it (`serving.team`): computed
under another threshold (KINERJA_FEEDBACK_MIN_GROUP_ANSWERS raised since), its probability
may rest on a group the results now hide, whether or not the 360 feature is among the
drivers shown. After an upgrade that changes the feature code, reads are live until the
next `kinerja score`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from service.auth.memo import MemoAt
from service.db.repositories import risk as repo
from service.domain.feedback360_results import DEFAULT_MIN_GROUP_ANSWERS
from service.features.stored_rows import feature_set_id
from service.features.stored_rows import stored_row
from service.serving.loader import LoadedModel
from service.serving.predictor import insufficient_answer
from service.serving.predictor import model_block
from service.serving.predictor import ok_answer
from service.serving.predictor import risk_answer


def answer_from_row(
    row: Any,
    employee_id: int,
    period: str,
    model: LoadedModel,
    min_group_answers: int = DEFAULT_MIN_GROUP_ANSWERS,
) -> dict[str, Any] | None:
    """The API.md answer a stored row gives, or None when the row cannot answer now.

    `min_group_answers` is the 360 threshold served now (see the module's docstring).
    """
    if row.fallback or row.model_version != model.version:
        return None
    block = model_block(model, fallback=False)
    if row.status == "insufficient_data":
        return insufficient_answer(employee_id, period, block)
    if row.feature_set != feature_set_id(min_group_answers):
        return None  # computed by other feature code, or under another 360 threshold
    if row.drivers is None or row.probability is None or row.threshold is None:
        return _explained(row, employee_id, period, model, min_group_answers)
    return ok_answer(
        employee_id,
        period,
        float(row.probability),
        bool(row.flagged),
        float(row.threshold),
        list(row.drivers),
        model,
    )


def _explained(
    row: Any, employee_id: int, period: str, model: LoadedModel, min_group_answers: int
) -> dict | None:
    """The answer to a row the batch left unexplained, from its stored feature row: what the
    live path answers (the same row, the same `risk_answer`) without reading the history
    again. None when the row holds no feature row of the current feature set, or while
    `model` is only announced (its first load under way: no pipeline to explain with yet;
    the live path waits for it)."""
    features = stored_row(row.features, row.feature_set, min_group_answers)
    if features is None or model.pipeline is None:
        return None
    return risk_answer(employee_id, period, features, model)


def stored_answer(
    session: Session,
    employee_id: int,
    period: str,
    model: LoadedModel | None,
    memo: MemoAt | None = None,
    min_group_answers: int = DEFAULT_MIN_GROUP_ANSWERS,
) -> dict[str, Any] | None:
    """The stored answer of `employee_id` for `period` by `model`, or None (answer live).

    With `memo`, an answer this worker read at the same change generation is reused:
    `risk_scores` changes move the generation (migration 0011), so it is what the lookup
    would return. `min_group_answers` is the 360 threshold served now (`answer_from_row`).
    """
    if model is None:
        return None
    key = ("stored risk", employee_id, period, model.version)
    answer: dict[str, Any] | None = memo.get(key) if memo is not None else None
    if answer is None:
        row = repo.stored_score(session, employee_id, period)
        answer = (
            None
            if row is None
            else answer_from_row(row, employee_id, period, model, min_group_answers)
        )
        if answer is not None and memo is not None:
            memo.put(key, answer)
    return answer
