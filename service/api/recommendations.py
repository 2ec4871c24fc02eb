"""Training recommendations of an employee, and the measured outcomes of a programme (issue 5).

GET /employees/{id}/recommendations?k=5: self, supervisors above, hr, admin; audited. Ranked
by the served `kinerja-recommender` champion, or by the rule (model.fallback = true) when no
model can be loaded. GET /employees/{id}/outlook: the same readers; the programmes and
drivers that would lower the employee's risk most (`domain.outlook`). GET
/trainings/{code}/outcomes: every role; aggregated, and a group smaller than
`program_outcomes.MIN_GROUP` shows counts only.
"""

from __future__ import annotations

from typing import Annotated
from typing import Any

from pydantic import Field

from service.api import bp
from service.api.http import EMPLOYEE_ID
from service.api.http import rule_settings
from service.api.http import run
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.common import Model
from service.api.schemas.common import Out
from service.auth.decorators import allow
from service.auth.policy import PEOPLE
from service.db import get_session
from service.domain.outlook import outlook_actions
from service.domain.program_outcomes import program_outcomes
from service.domain.recommendations import DEFAULT_K
from service.domain.recommendations import MAX_K
from service.domain.recommendations import Recommendations
from service.domain.recommendations import recommend_trainings
from service.serving import provider as risk_models
from service.serving import served_recommender
from service.serving.recommender import SOURCE_KEY  # noqa: F401 - tests replace the source

TRAINING_CODE = "<string(maxlength=40):code>"


class RecommendationQuery(Model):
    k: Annotated[int, Field(ge=1, le=MAX_K)] = DEFAULT_K


class GapOut(Out):
    competency: str
    required: int
    current: float | None
    gap: float


class CoverageOut(Out):
    competency: str
    gap: float
    assessed_gap: float | None
    expected_gain: float


class ItemOut(Out):
    training_code: str
    title: str
    title_en: str
    jp: float
    score: float
    covers: list[str]
    coverage: list[CoverageOut]
    reason: str
    reason_en: str


class ModelOut(Out):
    name: str
    version: str | None
    fallback: bool


class RecommendationsOut(Out):
    employee_id: int
    gaps: list[GapOut]
    jpm: float | None
    jpm_category: str | None
    items: list[ItemOut]
    model: ModelOut


class ActionOut(Out):
    kind: str
    code: str
    label: str
    label_en: str
    probability: float
    change: float


class OutlookOut(Out):
    employee_id: int
    status: str
    probability: float | None
    actions: list[ActionOut]


class OutcomeOut(Out):
    competency: str
    n_participants: int
    n_comparison: int
    participant_gain: float | None
    comparison_gain: float | None
    effect: float | None
    ci_low: float | None
    ci_high: float | None


class OutcomesOut(Out):
    training_code: str
    items: list[OutcomeOut]
    total: int


def recommendations_out(answer: Recommendations) -> RecommendationsOut:
    """Serialize the answer in API.md's shape (plus coverage details and English reasons)."""
    category = answer.jpm_category.value if answer.jpm_category is not None else None
    return RecommendationsOut(
        employee_id=answer.employee_id,
        gaps=[GapOut.model_validate(gap) for gap in answer.gaps],
        jpm=None if answer.jpm is None else round(answer.jpm, 2),
        jpm_category=category,
        items=[
            ItemOut(
                training_code=item.training_code,
                title=item.title,
                title_en=item.title_en,
                jp=item.jp,
                score=item.score,
                covers=[c.competency for c in item.covers],
                coverage=[CoverageOut.model_validate(c) for c in item.covers],
                reason=item.reason,
                reason_en=item.reason_en,
            )
            for item in answer.items
        ],
        model=ModelOut.model_validate(answer.model),
    )


@bp.get(f"/employees/{EMPLOYEE_ID}/recommendations")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=RecommendationsOut), tags=["recommendations"])
def get_recommendations(employee_id: int, query: RecommendationQuery) -> Any:
    """Rank training programmes by expected gap closure, with the gaps and the reasons."""
    gains, model = served_recommender()
    answer = run(
        recommend_trainings,
        employee_id,
        k=query.k,
        settings=rule_settings(),
        gains=gains,
        model=model,
    )
    return recommendations_out(answer)


@bp.get(f"/trainings/{TRAINING_CODE}/outcomes")
@allow()
@spec.validate(resp=responses(HTTP_200=OutcomesOut), tags=["recommendations"])
def get_outcomes(code: str) -> Any:
    """Measured gain after a programme against comparable non-participants, per competency."""
    items = program_outcomes(get_session(), code)
    return OutcomesOut(
        training_code=code,
        items=[OutcomeOut.model_validate(item) for item in items],
        total=len(items),
    )


@bp.get(f"/employees/{EMPLOYEE_ID}/outlook")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=OutlookOut), tags=["recommendations"])
def get_outlook(employee_id: int) -> Any:
    """What would lower this employee's risk most: programmes and drivers, with the new risk."""
    gains, _ = served_recommender()
    return OutlookOut.model_validate(run(outlook_actions, employee_id, risk_models(), gains=gains))
