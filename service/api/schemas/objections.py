"""Objections (*keberatan*) to an evaluation: filing, deciding, withdrawing, reading."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from service.api.schemas.common import LongText
from service.api.schemas.common import Model
from service.api.schemas.common import Moment
from service.api.schemas.common import Out
from service.api.schemas.common import PageQuery
from service.api.schemas.common import listing
from service.api.schemas.performance import EvaluationOut
from service.api.schemas.performance import evaluation_out
from service.domain.entities import BerakhlakValue
from service.domain.entities import Predikat
from service.domain.entities import Rating
from service.domain.objection_terms import ObjectionStatus
from service.domain.objections import ObjectionView


class ObjectionIn(Model):
    reason: LongText = Field(description="why the employee objects to the evaluation")


class ObjectionPatch(Model):
    """Close a pending objection: the decider upholds it (with the new ratings) or rejects
    it, with reasons; the employee withdraws it."""

    status: Literal["upheld", "rejected", "withdrawn"]
    decision_note: LongText | None = Field(None, description="the decision's reasons")
    work_result_rating: Rating | None = None
    behavior_rating: Rating | None = None
    behavior_ratings: dict[BerakhlakValue, Rating] | None = None

    def ratings(self) -> dict[str, object]:
        """The rating changes of an upheld objection, as the evaluation's input names them."""
        fields = ("work_result_rating", "behavior_rating", "behavior_ratings")
        return self.model_dump(mode="json", include=set(fields), exclude_none=True)


class ObjectionQuery(PageQuery):
    status: ObjectionStatus | None = None


class ObjectionOut(Out):
    id: int
    evaluation_id: int
    employee_id: int
    period: str
    reason: str
    status: ObjectionStatus
    predikat_before: Predikat
    predikat_after: Predikat | None
    decided_by_user_id: int | None
    decision_note: str | None
    filed_at: Moment
    closed_at: Moment | None
    version: int
    can_decide: bool = Field(description="whether you decide this objection")
    evaluation: EvaluationOut = Field(description="the evaluation as it stands now")


ObjectionList = listing(ObjectionOut)


def objection_out(view: ObjectionView) -> ObjectionOut:
    objection, evaluation = view.found.objection, view.found.evaluation
    return ObjectionOut(
        id=objection.id,
        evaluation_id=objection.evaluation_id,
        employee_id=objection.employee_id,
        period=evaluation.period,
        reason=objection.reason,
        status=objection.status,
        predikat_before=objection.predikat_before,
        predikat_after=objection.predikat_after,
        decided_by_user_id=objection.decided_by_user_id,
        decision_note=objection.decision_note,
        filed_at=objection.filed_at,
        closed_at=objection.closed_at,
        version=objection.version,
        can_decide=view.can_decide,
        evaluation=evaluation_out(evaluation),
    )
