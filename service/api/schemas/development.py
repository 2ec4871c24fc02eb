"""Competency dictionary, competency assessments, attendance, trainings and enrolments."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field
from pydantic import Strict

from service.api.schemas.common import Level
from service.api.schemas.common import Model
from service.api.schemas.common import MonthCode
from service.api.schemas.common import Name
from service.api.schemas.common import Out
from service.api.schemas.common import ShortText
from service.api.schemas.common import listing
from service.api.schemas.common import text
from service.domain.entities import CompetencyGroup
from service.domain.entities import EnrolmentStatus
from service.domain.entities import TrainingMode

AssessedLevel = Annotated[float, Field(ge=1, le=5, allow_inf_nan=False)]
Days = Annotated[int, Strict(), Field(ge=0, le=31)]
TrainingCode = Annotated[str, Strict(), Field(pattern=r"^[A-Za-z0-9._-]{1,40}$")]


class CompetencyOut(Out):
    code: str
    name: str
    group: CompetencyGroup


class AssessmentIn(Model):
    assessed_on: date
    method: ShortText
    assessor: Name | None = None
    levels: dict[ShortText, AssessedLevel] = Field(min_length=1, max_length=100)


class AssessmentOut(Out):
    id: int
    employee_id: int
    assessed_on: date
    method: str
    assessor: str | None
    levels: dict[str, float]


class AttendanceIn(Model):
    month: MonthCode
    work_days: Days
    present_days: Days
    late_days: Days = 0


class AttendanceOut(Out):
    id: int
    employee_id: int
    month: str
    work_days: int
    present_days: int
    late_days: int


class TrainingCompetencyItem(Model):
    competency: ShortText
    max_level: Level


class TrainingIn(Model):
    code: TrainingCode
    title: text(300)  # type: ignore[valid-type]
    jp: Annotated[float, Field(gt=0, le=10000, allow_inf_nan=False)]
    mode: TrainingMode
    kind: ShortText | None = None
    provider: Name | None = None
    competencies: list[TrainingCompetencyItem] = Field(min_length=1, max_length=50)


class TrainingCompetencyOut(Out):
    competency: str
    max_level: int


class TrainingOut(Out):
    id: int
    code: str
    title: str
    jp: float
    mode: TrainingMode
    kind: str
    provider: str | None
    competencies: list[TrainingCompetencyOut]


class EnrolmentIn(Model):
    training_code: TrainingCode
    start_date: date
    end_date: date
    status: EnrolmentStatus


class EnrolmentOut(Out):
    id: int
    employee_id: int
    training_code: str
    start_date: date
    end_date: date
    status: EnrolmentStatus
    jp_earned: float | None


CompetencyList = listing(CompetencyOut)
AssessmentList = listing(AssessmentOut)
AttendanceList = listing(AttendanceOut)
TrainingList = listing(TrainingOut)
EnrolmentList = listing(EnrolmentOut)
