"""SKP plans, realisations with evidence, evaluations, feedback, self-assessment, unit grades."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from typing import Annotated
from typing import Any

from pydantic import Field
from pydantic import Strict
from pydantic import field_validator

from service.api.schemas.common import Id
from service.api.schemas.common import LongText
from service.api.schemas.common import Model
from service.api.schemas.common import Moment
from service.api.schemas.common import Number
from service.api.schemas.common import Out
from service.api.schemas.common import PageQuery
from service.api.schemas.common import PeriodCode
from service.api.schemas.common import ShortText
from service.api.schemas.common import listing
from service.api.schemas.common import not_null
from service.api.schemas.common import text
from service.db.models import BEHAVIOR_COLUMNS
from service.db.models import Evaluation
from service.domain.entities import BerakhlakValue
from service.domain.entities import EvaluationKind
from service.domain.entities import FeedbackTarget
from service.domain.entities import IndicatorAspect
from service.domain.entities import OrganisationGrade
from service.domain.entities import Predikat
from service.domain.entities import PredikatSource
from service.domain.entities import Rating
from service.domain.entities import RhkKind
from service.domain.entities import SkpApproach
from service.domain.entities import SkpModel
from service.domain.entities import SkpStatus

if TYPE_CHECKING:
    from sqlalchemy import Row

    from service.domain.evaluations import NewEvaluation

Year = Annotated[int, Strict(), Field(ge=1990, le=2100)]
Sha256 = Annotated[str, Strict(), Field(pattern=r"^[0-9a-f]{64}$")]
Uri = Annotated[text(2000), Field(pattern=r"^https?://\S+$")]


class EvaluationIn(Model):
    period: PeriodCode
    work_result_rating: Rating
    behavior_rating: Rating
    behavior_ratings: dict[BerakhlakValue, Rating] = Field(default_factory=dict)
    feedback: LongText | None = None


class EvaluationPatch(Model):
    """Ratings or feedback to correct; the period cannot change."""

    work_result_rating: Rating | None = None
    behavior_rating: Rating | None = None
    behavior_ratings: dict[BerakhlakValue, Rating] | None = None
    feedback: LongText | None = None


class EvaluationValues(Out):
    """The values a change of an evaluation sets (`evaluation_revisions.REVISED_COLUMNS`):
    shown by an evaluation and by each version a change replaced (`RevisionOut`)."""

    work_result_rating: Rating
    behavior_rating: Rating
    behavior_ratings: dict[BerakhlakValue, Rating]
    predikat: Predikat
    predikat_source: PredikatSource
    rater_id: int | None
    feedback: str | None


class _EvaluationKey(Out):
    """Which evaluation: the fields `EvaluationOut` shows before its values."""

    id: int
    employee_id: int
    period: str
    kind: EvaluationKind


# The fields come base by base from the last base listed, then the class's own: id,
# employee_id, period, kind, the values, version (the order of the JSON and the schema).
# No docstring: it would become the schema's description.
class EvaluationOut(EvaluationValues, _EvaluationKey):
    version: int


class EvaluationQuery(PageQuery):
    period: PeriodCode | None = None


class IndicatorIn(Model):
    aspect: IndicatorAspect
    description: LongText
    target_value: Number | None = None
    target_unit: ShortText | None = None
    target_text: LongText | None = None


class RhkFields(Model):
    """What every RHK states, in a plan or in a position's template."""

    kind: RhkKind
    description: LongText
    indicators: list[IndicatorIn] = Field(min_length=1, max_length=20)


class RhkIn(RhkFields):
    parent_rhk_id: Id | None = None


class SkpIn(Model):
    year: Year
    position_id: Id | None = None
    model: SkpModel = SkpModel.JA_JF
    approach: SkpApproach = SkpApproach.KUANTITATIF
    rater_id: Id | None = None
    rhks: list[RhkIn] = Field(min_length=1, max_length=50)


class RhkEdit(RhkIn):
    """An RHK of an edited plan: with `id`, that RHK of the plan keeps its id and is
    rewritten; without, a new RHK. Its indicators replace the ones it had."""

    id: Id | None = None


class SkpPatch(Model):
    """Changes to a draft SKP. `rhks`, when given, is the whole new list: RHKs of the plan
    that it leaves out are deleted (refused with 409 while anything else refers to them)."""

    model: SkpModel | None = None
    approach: SkpApproach | None = None
    rater_id: Id | None = None
    rhks: list[RhkEdit] | None = Field(None, min_length=1, max_length=50)

    @field_validator("model", "approach", "rater_id", "rhks")
    @classmethod
    def not_null(cls, value: object) -> object:
        return not_null(value)


class IndicatorOut(Out):
    id: int
    aspect: IndicatorAspect
    description: str
    target_value: float | None
    target_unit: str | None
    target_text: str | None


class RhkOut(Out):
    id: int
    kind: RhkKind
    description: str
    parent_rhk_id: int | None
    ordinal: int
    indicators: list[IndicatorOut]


class SkpOut(Out):
    id: int
    employee_id: int
    position_id: int
    year: int
    model: SkpModel
    approach: SkpApproach
    rater_id: int | None
    status: SkpStatus
    approved_at: Moment | None
    deadline: date = Field(
        description="the day by which the plan is to be set (KINERJA_SKP_DEADLINE of its year)"
    )
    late: bool = Field(
        description="set after the deadline, or not set (draft, diajukan) when it has passed; "
        "a late plan is accepted, and counted by the unit's cycle progress"
    )
    rhks: list[RhkOut]
    version: int


class EvidenceIn(Model):
    uri: Uri
    kind: ShortText | None = None
    sha256: Sha256 | None = None


class RealisationIn(Model):
    indicator_id: Id
    period: PeriodCode
    value: Number | None = None
    text: LongText | None = None
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=20)


class EvidenceOut(Out):
    id: int
    uri: str
    kind: str | None
    sha256: str | None


class RealisationOut(Out):
    id: int
    indicator_id: int
    period: str
    value: float | None
    text: str | None
    recorded_by_id: int | None
    evidence: list[EvidenceOut]


class FeedbackIn(Model):
    period: PeriodCode
    target: FeedbackTarget
    rhk_id: Id | None = None
    body: LongText


class FeedbackOut(Out):
    id: int
    employee_id: int
    author_id: int
    period: str
    target: FeedbackTarget
    rhk_id: int | None
    body: str


class SelfAssessmentIn(Model):
    period: PeriodCode
    work_result_rating: Rating
    behavior_rating: Rating
    note: LongText | None = None


class SelfAssessmentOut(Out):
    id: int
    employee_id: int
    period: str
    work_result_rating: Rating
    behavior_rating: Rating
    note: str | None
    version: int


class UnitGradeIn(Model):
    period: PeriodCode
    grade: OrganisationGrade
    basis: LongText | None = None


class UnitGradePatch(Model):
    """A correction of a unit's grade: the grade, its basis or both (`null` clears the basis)."""

    grade: OrganisationGrade | None = None
    basis: LongText | None = None

    @field_validator("grade")
    @classmethod
    def not_null(cls, value: object) -> object:
        return not_null(value)


class DistributionWarningOut(Out):
    rule: str
    message_id: str
    message_en: str
    bound: str
    expected: float
    actual: float
    expected_count: int
    actual_count: int


class UnitGradeOut(Out):
    """The unit's grade for a period, its employees' predikat counts and the warnings."""

    id: int
    unit_id: int
    period: str
    grade: OrganisationGrade
    basis: str | None
    set_by_id: int | None
    version: int
    size: int
    counts: dict[Predikat, int]
    warnings: list[DistributionWarningOut]
    #: True when counts and warnings are left out: the data team sees units of at least
    #: `policy.SMALL_GROUP` evaluated employees only (a smaller unit's counts name people).
    withheld: bool = False


EvaluationList = listing(EvaluationOut)
SkpList = listing(SkpOut)
RealisationList = listing(RealisationOut)
FeedbackList = listing(FeedbackOut)
SelfAssessmentList = listing(SelfAssessmentOut)


def behavior_ratings(row: Any) -> dict[BerakhlakValue, Rating]:
    """The seven value columns of an evaluation (or a revision) that hold a rating."""
    return {
        value: getattr(row, column)
        for value, column in BEHAVIOR_COLUMNS.items()
        if getattr(row, column) is not None
    }


def evaluation_out(evaluation: Evaluation | NewEvaluation | Row[Any]) -> EvaluationOut:
    """Serialize an evaluation (or its stored row); the seven value columns become
    `behavior_ratings`."""
    ratings = behavior_ratings(evaluation)
    return EvaluationOut(
        id=evaluation.id,
        employee_id=evaluation.employee_id,
        period=evaluation.period,
        kind=evaluation.kind,
        work_result_rating=evaluation.work_result_rating,
        behavior_rating=evaluation.behavior_rating,
        behavior_ratings=ratings,
        predikat=evaluation.predikat,
        predikat_source=evaluation.predikat_source,
        rater_id=evaluation.rater_id,
        feedback=evaluation.feedback,
        version=evaluation.version,
    )
