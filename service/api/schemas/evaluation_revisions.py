"""The versions of an evaluation that changes replaced (`GET /evaluations/{id}/revisions`)."""

from __future__ import annotations

from pydantic import Field

from service.api.schemas.common import Moment
from service.api.schemas.common import Out
from service.api.schemas.common import listing
from service.api.schemas.performance import EvaluationValues
from service.api.schemas.performance import behavior_ratings
from service.domain.evaluation_revisions import RevisionView
from service.domain.revision_terms import RevisionCause


class _RevisedVersion(Out):
    """Which version: the field `RevisionOut` shows before the values."""

    version: int = Field(description="the version of the evaluation these values were")


class RevisionOut(EvaluationValues, _RevisedVersion):  # fields: version, values, the rest
    """One replaced version of the evaluation: its values then, and what replaced it."""

    cause: RevisionCause = Field(description="what replaced it: a correction or an objection")
    revised_by_user_id: int | None
    revised_by: str | None = Field(description="the username of who replaced it")
    revised_at: Moment


RevisionList = listing(RevisionOut)


def revision_out(view: RevisionView) -> RevisionOut:
    r = view.revision
    return RevisionOut(
        version=r.version,
        work_result_rating=r.work_result_rating,
        behavior_rating=r.behavior_rating,
        behavior_ratings=behavior_ratings(r),
        predikat=r.predikat,
        predikat_source=r.predikat_source,
        rater_id=r.rater_id,
        feedback=r.feedback,
        cause=r.cause,
        revised_by_user_id=r.revised_by_user_id,
        revised_by=view.revised_by,
        revised_at=r.revised_at,
    )
