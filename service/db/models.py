"""Tables for the whole ASN performance domain (domain.md section 2), typed SQLAlchemy 2 models.

Enumerated columns store the API's snake_case values as strings with a CHECK constraint, so
SQLite and PostgreSQL hold the same text and a bad value never reaches the table. Rows that
users edit concurrently carry a `version` column used as the ETag and by SQLAlchemy's
optimistic concurrency check. The seven BerAKHLAK ratings are columns of the evaluation, not
rows of their own: the set is fixed by regulation and a national data set has tens of millions
of evaluations.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import time
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import BigInteger
from sqlalchemy import CheckConstraint
from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import Enum
from sqlalchemy import Float
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import Time
from sqlalchemy import UniqueConstraint
from sqlalchemy import false
from sqlalchemy import func
from sqlalchemy import text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from service.db.base import Base
from service.db.period_codes import PeriodCodeRule
from service.domain.entities import ActivityStatus
from service.domain.entities import BerakhlakValue
from service.domain.entities import CompetencyGroup
from service.domain.entities import DialogueKind
from service.domain.entities import EmploymentStatus
from service.domain.entities import EnrolmentStatus
from service.domain.entities import EvaluationKind
from service.domain.entities import FeedbackTarget
from service.domain.entities import Gender
from service.domain.entities import IndicatorAspect
from service.domain.entities import NotificationKind
from service.domain.entities import OrganisationGrade
from service.domain.entities import PeriodKind
from service.domain.entities import PositionKind
from service.domain.entities import Predikat
from service.domain.entities import PredikatSource
from service.domain.entities import Rating
from service.domain.entities import RhkKind
from service.domain.entities import Role
from service.domain.entities import SkpApproach
from service.domain.entities import SkpModel
from service.domain.entities import SkpStatus
from service.domain.entities import TrainingMode
from service.domain.feedback360_terms import RaterGroup
from service.domain.feedback360_terms import RoundStatus
from service.domain.objection_terms import ObjectionStatus
from service.domain.revision_terms import RevisionCause
from service.domain.risk_review_terms import ReviewDecision
from service.domain.signature_terms import SignerRole

# Integer on SQLite (so the primary key is the rowid alias), BIGINT on PostgreSQL.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def enum_column(enum: type[StrEnum], *, check_name: str | None = None, **kwargs: Any) -> Any:
    """Return a mapped column storing `enum` values as strings with a named CHECK constraint.

    `check_name` must be given when a table has two columns of the same enum, because
    PostgreSQL needs constraint names unique per table.
    """
    kind = Enum(
        enum,
        name=check_name or enum.__name__.lower(),
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
    return mapped_column(kind, **kwargs)


def created_at_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


# --- organisation ---------------------------------------------------------------------------


class Unit(Base):
    """Organisation unit (unit organisasi); units form a tree through parent_id."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    region: Mapped[str | None] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = created_at_column()

    __mapper_args__ = {"version_id_col": version}


class Period(Base):
    """An evaluation period: a year, a quarter or a month (API.md period codes)."""

    __tablename__ = "periods"

    code: Mapped[str] = mapped_column(String(7), primary_key=True)
    kind: Mapped[PeriodKind] = enum_column(PeriodKind)
    year: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)

    __table_args__ = (CheckConstraint("starts_on <= ends_on", name="period_dates_ordered"),)


class UnitGrade(Base):
    """Organisation predikat of a unit for a period (SE 3/2023 stage 1)."""

    __tablename__ = "unit_grades"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    period: Mapped[str] = mapped_column(ForeignKey("periods.code"))
    grade: Mapped[OrganisationGrade] = enum_column(OrganisationGrade)
    basis: Mapped[str | None] = mapped_column(Text)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("unit_id", "period"),)
    __mapper_args__ = {"version_id_col": version}


class Position(Base):
    """Position (jabatan) with its kind and an optional tier (jenjang)."""

    __tablename__ = "positions"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[PositionKind] = enum_column(PositionKind)
    level: Mapped[str | None] = mapped_column(String(40))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = created_at_column()

    __mapper_args__ = {"version_id_col": version}


class Competency(Base):
    """Competency dictionary entry (PermenPANRB 38/2017), keyed by its code."""

    __tablename__ = "competencies"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    group: Mapped[CompetencyGroup] = enum_column(CompetencyGroup)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)


class CompetencyLevelDescriptor(Base):
    """What a level 1..5 of one competency looks like (behaviour indicators)."""

    __tablename__ = "competency_levels"

    competency_code: Mapped[str] = mapped_column(ForeignKey("competencies.code"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),)


class CompetencyStandard(Base):
    """Required level of one competency for a position (standar kompetensi jabatan)."""

    __tablename__ = "competency_standards"

    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"), primary_key=True)
    competency_code: Mapped[str] = mapped_column(ForeignKey("competencies.code"), primary_key=True)
    required_level: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("required_level BETWEEN 1 AND 5", name="required_range"),)


class Employee(Base):
    """An ASN employee: the data subject of nearly everything else."""

    __tablename__ = "employees"

    id: Mapped[int] = mapped_column(primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    gender: Mapped[Gender | None] = enum_column(Gender, nullable=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    hire_date: Mapped[date | None] = mapped_column(Date)
    grade: Mapped[str | None] = mapped_column(String(8))
    employment_status: Mapped[EmploymentStatus] = enum_column(
        EmploymentStatus, default=EmploymentStatus.PNS, server_default=EmploymentStatus.PNS.value
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"), index=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True, server_default="1")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (CheckConstraint("length(nip) = 18", name="nip_length"),)
    __mapper_args__ = {"version_id_col": version}


# --- performance plan and evaluation ---------------------------------------------------------


class Skp(Base):
    """Performance plan (Sasaran Kinerja Pegawai) of one employee, year and position."""

    __tablename__ = "skps"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"))
    year: Mapped[int] = mapped_column(Integer)
    model: Mapped[SkpModel] = enum_column(SkpModel)
    approach: Mapped[SkpApproach] = enum_column(SkpApproach)
    rater_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    status: Mapped[SkpStatus] = enum_column(
        SkpStatus, default=SkpStatus.DRAFT, server_default=SkpStatus.DRAFT.value
    )
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("employee_id", "year", "position_id"),)
    __mapper_args__ = {"version_id_col": version}


class Rhk(Base):
    """Planned work result (Rencana Hasil Kerja), optionally supporting a superior's RHK."""

    __tablename__ = "rhks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    skp_id: Mapped[int] = mapped_column(ForeignKey("skps.id"), index=True)
    kind: Mapped[RhkKind] = enum_column(RhkKind)
    description: Mapped[str] = mapped_column(Text)
    parent_rhk_id: Mapped[int | None] = mapped_column(ForeignKey("rhks.id"))
    ordinal: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class Indicator(Base):
    """Individual performance indicator (IKI) of an RHK; the target is numeric or text."""

    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rhk_id: Mapped[int] = mapped_column(ForeignKey("rhks.id"), index=True)
    aspect: Mapped[IndicatorAspect] = enum_column(IndicatorAspect)
    description: Mapped[str] = mapped_column(Text)
    target_value: Mapped[float | None] = mapped_column(Float)
    target_unit: Mapped[str | None] = mapped_column(String(40))
    target_text: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(
            "target_value IS NOT NULL OR target_text IS NOT NULL", name="target_present"
        ),
    )


class SkpTemplate(Base):
    """The SKP every holder of a position starts from: its model, approach and RHK with their
    indicators, as one document (`rhks`, validated like an SKP's own RHK when written). Bulk
    drafting copies it into each employee's draft, where it becomes ordinary rows."""

    __tablename__ = "skp_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"), unique=True)
    model: Mapped[SkpModel] = enum_column(SkpModel)
    approach: Mapped[SkpApproach] = enum_column(SkpApproach)
    rhks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class SkpDraftingRun(Base):
    """One bulk drafting of a unit's SKPs from the position templates (`skp_templates`): for
    which unit, year and scope, by whom, how many drafts it made; its `skips` are whom it
    left without one and why, as it decided (the page of a run shows them, not what the
    rule would decide on later data)."""

    __tablename__ = "skp_drafting_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    include_subunits: Mapped[bool] = mapped_column()
    created: Mapped[int] = mapped_column(Integer)
    run_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()


class SkpDraftingSkip(Base):
    """An employee a drafting run made no SKP for, with the reason (`SkipReason`)."""

    __tablename__ = "skp_drafting_skips"

    run_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("skp_drafting_runs.id", ondelete="CASCADE"), primary_key=True
    )
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(24))


class Realisation(Base):
    """What was achieved on an indicator in one period (realisasi)."""

    __tablename__ = "realisations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))
    period: Mapped[str] = mapped_column(ForeignKey("periods.code"))
    value: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    recorded_at: Mapped[datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("indicator_id", "period"),)


class Evidence(Base):
    """A link to evidence (bukti dukung) behind a realisation, with its content hash."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    realisation_id: Mapped[int] = mapped_column(ForeignKey("realisations.id"), index=True)
    uri: Mapped[str] = mapped_column(String(2000))
    kind: Mapped[str | None] = mapped_column(String(40))
    sha256: Mapped[str | None] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    uploaded_at: Mapped[datetime] = created_at_column()


class FeedbackNote(Base):
    """Continuous feedback (umpan balik berkelanjutan) on results or behaviour."""

    __tablename__ = "feedback_notes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    period: Mapped[str] = mapped_column(ForeignKey("periods.code"))
    target: Mapped[FeedbackTarget] = enum_column(FeedbackTarget)
    rhk_id: Mapped[int | None] = mapped_column(ForeignKey("rhks.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()


BEHAVIOR_COLUMNS: dict[BerakhlakValue, str] = {v: f"behavior_{v.value}" for v in BerakhlakValue}


class EvaluationValues:
    """The two ratings, the seven values and the predikat: the evaluation's own columns, and
    the copy each revision keeps of a version it replaced (`EvaluationRevision`)."""

    work_result_rating: Mapped[Rating] = enum_column(Rating, check_name="work_result_rating")
    behavior_rating: Mapped[Rating] = enum_column(Rating, check_name="behavior_rating")
    behavior_berorientasi_pelayanan: Mapped[Rating | None] = enum_column(
        Rating, check_name="behavior_berorientasi_pelayanan", nullable=True
    )
    behavior_akuntabel: Mapped[Rating | None] = enum_column(
        Rating, check_name="behavior_akuntabel", nullable=True
    )
    behavior_kompeten: Mapped[Rating | None] = enum_column(
        Rating, check_name="behavior_kompeten", nullable=True
    )
    behavior_harmonis: Mapped[Rating | None] = enum_column(
        Rating, check_name="behavior_harmonis", nullable=True
    )
    behavior_loyal: Mapped[Rating | None] = enum_column(
        Rating, check_name="behavior_loyal", nullable=True
    )
    behavior_adaptif: Mapped[Rating | None] = enum_column(
        Rating, check_name="behavior_adaptif", nullable=True
    )
    behavior_kolaboratif: Mapped[Rating | None] = enum_column(
        Rating, check_name="behavior_kolaboratif", nullable=True
    )
    predikat: Mapped[Predikat] = enum_column(Predikat)


class Evaluation(EvaluationValues, Base):
    """Periodic or annual evaluation: the two ratings, the seven values and the predikat."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    # A valid period code, checked in the row instead of by a key to `periods` (migration 0010).
    period: Mapped[str] = mapped_column(String(7), index=True)
    kind: Mapped[EvaluationKind] = enum_column(EvaluationKind)
    predikat_source: Mapped[PredikatSource] = enum_column(
        PredikatSource, default=PredikatSource.MATRIX, server_default=PredikatSource.MATRIX.value
    )
    rater_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    feedback: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), onupdate=func.now()
    )

    __table_args__ = (
        UniqueConstraint("employee_id", "period"),
        CheckConstraint(PeriodCodeRule(), name="period_code"),
    )
    __mapper_args__ = {"version_id_col": version}


class EvaluationRevision(EvaluationValues, Base):
    """A version of an evaluation as it stood before a change replaced it: every column a
    change can set, who changed it, when and why (`domain.evaluation_revisions`).
    Append-only: the database refuses updates and deletes (migration 0023), so the ratings
    as the rater first gave them stay readable after corrections and upheld objections."""

    __tablename__ = "evaluation_revisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(BigId, ForeignKey("evaluations.id"))
    version: Mapped[int] = mapped_column(Integer)
    predikat_source: Mapped[PredikatSource] = enum_column(PredikatSource)
    rater_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    feedback: Mapped[str | None] = mapped_column(Text)
    cause: Mapped[RevisionCause] = enum_column(RevisionCause)
    revised_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revised_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        # The versions of one evaluation in order; the oldest is what the rater first gave.
        Index("ix_evaluation_revisions_evaluation_id", "evaluation_id", "id"),
        UniqueConstraint("evaluation_id", "version"),
    )


class EvaluationSignature(Base):
    """A signature on one version of an evaluation's sheet: who signed, in which role, and
    the SHA-256 digest of what the sheet held then (`domain.evaluation_signatures`), so the
    record proves later whether the evaluation or its evidence changed after signing."""

    __tablename__ = "evaluation_signatures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), index=True)
    role: Mapped[SignerRole] = enum_column(SignerRole)
    signer_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    evaluation_version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("evaluation_id", "role", "evaluation_version"),)


class Objection(Base):
    """An employee's objection (*keberatan*) to an evaluation, decided by the rater's superior.

    One per evaluation. The predikat before and after are kept, so the record shows what the
    decision changed even after later corrections of the evaluation.
    """

    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(BigId, ForeignKey("evaluations.id"), unique=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[ObjectionStatus] = enum_column(
        ObjectionStatus, default=ObjectionStatus.PENDING, server_default="pending"
    )
    predikat_before: Mapped[Predikat] = enum_column(Predikat, check_name="predikat_before")
    predikat_after: Mapped[Predikat | None] = enum_column(
        Predikat, check_name="predikat_after", nullable=True
    )
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_note: Mapped[str | None] = mapped_column(Text)
    filed_at: Mapped[datetime] = created_at_column()
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


# --- competencies, attendance, development ---------------------------------------------------


class CompetencyAssessment(Base):
    """One assessment event (assessment centre, CAT, supervisor's B.1.9 rating, ...)."""

    __tablename__ = "competency_assessments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    assessed_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(40))
    assessor: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at_column()


class AssessmentLevel(Base):
    """The level found for one competency in one assessment (may be fractional)."""

    __tablename__ = "assessment_levels"

    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("competency_assessments.id"), primary_key=True
    )
    competency_code: Mapped[str] = mapped_column(ForeignKey("competencies.code"), primary_key=True)
    level: Mapped[float] = mapped_column(Float)

    __table_args__ = (CheckConstraint("level >= 1 AND level <= 5", name="level_range"),)


class AttendanceMonth(Base):
    """Monthly attendance summary (presensi) of one employee."""

    __tablename__ = "attendance"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    month: Mapped[str] = mapped_column(String(7))
    work_days: Mapped[int] = mapped_column(Integer)
    present_days: Mapped[int] = mapped_column(Integer)
    late_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        UniqueConstraint("employee_id", "month"),
        CheckConstraint(
            "work_days >= 0 AND present_days >= 0 AND late_days >= 0 "
            "AND present_days <= work_days AND late_days <= present_days",
            name="days_consistent",
        ),
    )


class Training(Base):
    """Catalogue entry of a development program (program pengembangan kompetensi)."""

    __tablename__ = "trainings"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300))
    jp: Mapped[float] = mapped_column(Float)
    mode: Mapped[TrainingMode] = enum_column(TrainingMode)
    kind: Mapped[str] = mapped_column(String(40))
    provider: Mapped[str | None] = mapped_column(String(200))
    position_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    min_grade: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (CheckConstraint("jp > 0", name="jp_positive"),)


class TrainingCompetency(Base):
    """A competency a program develops, up to a level."""

    __tablename__ = "training_competencies"

    training_id: Mapped[int] = mapped_column(ForeignKey("trainings.id"), primary_key=True)
    competency_code: Mapped[str] = mapped_column(ForeignKey("competencies.code"), primary_key=True)
    max_level: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("max_level BETWEEN 1 AND 5", name="max_level_range"),)


class Enrolment(Base):
    """An employee's enrolment in a program; completed ones count toward the yearly JP."""

    __tablename__ = "enrolments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    training_id: Mapped[int] = mapped_column(ForeignKey("trainings.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    status: Mapped[EnrolmentStatus] = enum_column(EnrolmentStatus)
    jp_earned: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (CheckConstraint("start_date <= end_date", name="dates_ordered"),)


# --- access and accountability ---------------------------------------------------------------


class User(Base):
    """A login; linked to an employee except for technical accounts."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = enum_column(Role)
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), unique=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    is_active: Mapped[bool] = mapped_column(default=True, server_default="1")
    #: Where reminders are emailed (issue 8); none means in-app notifications only.
    email: Mapped[str | None] = mapped_column(String(254))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = created_at_column()

    __mapper_args__ = {"version_id_col": version}


class AuditEntry(Base):
    """Who touched whose personal data, and when; never the content. Append-only."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = created_at_column()
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    actor_username: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(20))
    resource: Mapped[str] = mapped_column(String(60))
    resource_id: Mapped[str | None] = mapped_column(String(60))
    employee_id: Mapped[int | None] = mapped_column(Integer)
    request_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        # In `list_audit`'s order (newest id first), small entries (migration 0013).
        Index("ix_audit_log_employee_id", "employee_id", "id"),
        Index("ix_audit_log_actor_id", "actor_user_id", "id"),
    )


def table_names() -> list[str]:
    """List the product schema's tables (what `upgrade head` must create)."""
    return sorted(Base.metadata.tables)


# --- API: tokens, login attempts, idempotency (issue 3) ---------------------------------------


class ApiToken(Base):
    """A bearer token: only the SHA-256 of the opaque random token is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginAttempt(Base):
    """A password check, kept to limit failed logins per account and per address."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    succeeded: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )


class IdempotencyRecord(Base):
    """The first answer to a create request, replayed for a retry with the same key."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    body_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("user_id", "key"),)


class SelfAssessment(Base):
    """The employee's own rating of a period (penilaian mandiri), beside the rater's."""

    __tablename__ = "self_assessments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    period: Mapped[str] = mapped_column(ForeignKey("periods.code"))
    work_result_rating: Mapped[Rating] = enum_column(Rating, check_name="work_result_rating")
    behavior_rating: Mapped[Rating] = enum_column(Rating, check_name="behavior_rating")
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("employee_id", "period"),)
    __mapper_args__ = {"version_id_col": version}


# --- Models: batch risk scores and retrain jobs (issue 4) ---

#: Status values of a model job (candidates for a JobStatus enum in domain/entities.py).
JOB_STATUSES = ("queued", "running", "succeeded", "failed")


class RiskScore(Base):
    """The batch-scored risk of one employee for one period (`kinerja score`)."""

    __tablename__ = "risk_scores"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    period: Mapped[str] = mapped_column(String(7), index=True)
    status: Mapped[str] = mapped_column(String(20))
    probability: Mapped[float | None] = mapped_column(Float)
    flagged: Mapped[bool] = mapped_column(default=False)
    threshold: Mapped[float | None] = mapped_column(Float)
    drivers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    model_name: Mapped[str] = mapped_column(String(80))
    model_version: Mapped[str | None] = mapped_column(String(20))
    fallback: Mapped[bool] = mapped_column(default=False)
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: The inputs changed after scoring: the read answers live; the row stays as the record.
    outdated: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: Which ordered feature list (and feature code) the answer was computed on, and its
    #: feature row (`RiskFeatureRow`) follows (`training.score`).
    feature_set: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        UniqueConstraint("employee_id", "period"),
        CheckConstraint("status IN ('ok', 'insufficient_data')", name="risk_score_status"),
        # Half-full pages: `kinerja score` rewrites rows in place as HOT updates (0026).
        {"postgresql_with": {"fillfactor": 50}},
    )


class RiskFeatureRow(Base):
    """The feature row a stored risk score was computed from (float64 little-endian,
    `FEATURE_NAMES` order), keyed like its `RiskScore` and of that row's `feature_set`.

    While the score is not outdated its inputs are unchanged, so the next `kinerja score`
    answers again from this row instead of reading the history (migration 0012), and the
    risk read explains from it an answer the batch left unexplained. A table of its own
    (migration 0024): a re-score after a promotion rewrites the answers (about 100 bytes an
    unflagged row) and not these 432 bytes, which only change when the history is read again.
    `kinerja score` writes and deletes both together; a score's row stands for it only.
    """

    __tablename__ = "risk_feature_rows"

    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    features: Mapped[bytes] = mapped_column(LargeBinary)
    #: What the panel held for this employee (`features.panel_slice`, migration 0025): the
    #: next period's scoring reads only that period's rows for them while this score is
    #: fresh. Written with the feature row on SQLite; NULL where none was kept.
    panel_slice: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class RiskReview(Base):
    """A supervisor's review of one employee's risk answer for one period: agree or disagree
    with the model, and why. What the answer said is kept beside it, so the track record
    can later set the model and the people who know the employee against what happened."""

    __tablename__ = "risk_reviews"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    period: Mapped[str] = mapped_column(String(7), index=True)
    decision: Mapped[ReviewDecision] = enum_column(ReviewDecision)
    reason: Mapped[str | None] = mapped_column(Text)
    probability: Mapped[float | None] = mapped_column(Float)
    flagged: Mapped[bool] = mapped_column(default=False)
    model_version: Mapped[str | None] = mapped_column(String(20))
    fallback: Mapped[bool] = mapped_column(default=False)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    reviewed_at: Mapped[datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("employee_id", "period"),)


class ChangeCounter(Base):
    """One row whose `generation` database triggers bump on every change to the tables an
    access decision or a stored risk answer reads (migration 0011): per-worker caches of
    them check it with one cheap read per request (`service.auth.memo`)."""

    __tablename__ = "change_counters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(BigInteger, server_default="0")


class ModelJob(Base):
    """A retraining request, run outside the web workers (`kinerja train --job-id N`)."""

    __tablename__ = "model_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="retrain")
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    requested_by_user_id: Mapped[int | None] = mapped_column(Integer)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    message: Mapped[str | None] = mapped_column(Text)
    pid: Mapped[int | None] = mapped_column(Integer)
    requested_at: Mapped[datetime] = created_at_column()
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed')", name="model_job_status"
        ),
    )


# --- Continuous performance: activity log, dialogues, notifications (issue 8) ---------------


class ActivityLog(Base):
    """A daily or weekly activity entry (laporan kinerja harian), optionally serving an RHK."""

    __tablename__ = "activity_logs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    rhk_id: Mapped[int | None] = mapped_column(ForeignKey("rhks.id"))
    activity_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    evidence_url: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[ActivityStatus] = enum_column(
        ActivityStatus,
        default=ActivityStatus.SUBMITTED,
        server_default=ActivityStatus.SUBMITTED.value,
    )
    supervisor_comment: Mapped[str | None] = mapped_column(Text)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __table_args__ = (Index("ix_activity_logs_employee_date", "employee_id", "activity_date"),)
    __mapper_args__ = {"version_id_col": version}


class PerformanceDialogue(Base):
    """A dialogue or coaching session (dialog / bimbingan kinerja) held by a supervisor above."""

    __tablename__ = "performance_dialogues"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    supervisor_employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    held_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[DialogueKind] = enum_column(DialogueKind)
    topics: Mapped[str] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    #: Code of the coaching suggestion it started from (data/reference/coaching_actions.csv).
    coaching_action: Mapped[str | None] = mapped_column(String(40))
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        Index("ix_performance_dialogues_employee_held", "employee_id", "held_on"),
        CheckConstraint(
            "follow_up_on IS NULL OR follow_up_on >= held_on", name="follow_up_after_held"
        ),
    )


class DialogueAction(Base):
    """An action agreed in a dialogue; a later dialogue reviews whether it was done."""

    __tablename__ = "dialogue_actions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(ForeignKey("performance_dialogues.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date | None] = mapped_column(Date)
    #: None until reviewed; then whether the action was done.
    done: Mapped[bool | None] = mapped_column()
    reviewed_in_dialogue_id: Mapped[int | None] = mapped_column(
        ForeignKey("performance_dialogues.id")
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class Notification(Base):
    """An in-app reminder to one user, emailed when SMTP is configured; at most one per
    (recipient, kind, subject), so nobody gets the same reminder twice."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    recipient_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[NotificationKind] = enum_column(NotificationKind)
    subject_key: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Not emailed because the recipient switched its kind off (the in-app entry stays).
    email_skipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("recipient_user_id", "kind", "subject_key"),
        Index("ix_notifications_pending_email", "emailed_at"),
    )


class NotificationPreference(Base):
    """A login's email choice: the notification kinds not emailed to them (their in-app
    notifications are kept). No row: every kind is emailed."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    email_off: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


# --- 360 feedback rounds and daily attendance (issue 8, parts 2 and 5) ----------------------


class FeedbackRound(Base):
    """A 360-degree feedback round on one employee's BerAKHLAK behaviour for a period."""

    __tablename__ = "feedback_rounds"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    period: Mapped[str] = mapped_column(ForeignKey("periods.code"))
    status: Mapped[RoundStatus] = enum_column(
        RoundStatus, default=RoundStatus.OPEN, server_default=RoundStatus.OPEN.value
    )
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    closes_on: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("employee_id", "period"),)


class FeedbackRater(Base):
    """A nominated rater of a round and its group; `answered_at` is never shown to readers."""

    __tablename__ = "feedback_raters"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    round_id: Mapped[int] = mapped_column(BigId, ForeignKey("feedback_rounds.id"))
    rater_employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    rater_group: Mapped[RaterGroup] = enum_column(RaterGroup)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("round_id", "rater_employee_id"),)


class FeedbackAnswer(Base):
    """One rater's answer: a rating per BerAKHLAK value and an optional comment (once)."""

    __tablename__ = "feedback_answers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rater_id: Mapped[int] = mapped_column(BigId, ForeignKey("feedback_raters.id"), unique=True)
    behavior_berorientasi_pelayanan: Mapped[Rating] = enum_column(
        Rating, check_name="behavior_berorientasi_pelayanan"
    )
    behavior_akuntabel: Mapped[Rating] = enum_column(Rating, check_name="behavior_akuntabel")
    behavior_kompeten: Mapped[Rating] = enum_column(Rating, check_name="behavior_kompeten")
    behavior_harmonis: Mapped[Rating] = enum_column(Rating, check_name="behavior_harmonis")
    behavior_loyal: Mapped[Rating] = enum_column(Rating, check_name="behavior_loyal")
    behavior_adaptif: Mapped[Rating] = enum_column(Rating, check_name="behavior_adaptif")
    behavior_kolaboratif: Mapped[Rating] = enum_column(Rating, check_name="behavior_kolaboratif")
    comment: Mapped[str | None] = mapped_column(Text)


class AttendanceDay(Base):
    """One day of an attendance machine export (presensi); no check-in means absent."""

    __tablename__ = "attendance_days"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    day: Mapped[date] = mapped_column(Date)
    check_in: Mapped[time | None] = mapped_column(Time)
    check_out: Mapped[time | None] = mapped_column(Time)

    __table_args__ = (
        UniqueConstraint("employee_id", "day"),
        CheckConstraint(
            "check_out IS NULL OR check_in IS NOT NULL", name="check_out_needs_check_in"
        ),
    )


class WindowReopening(Base):
    """hr reopening the realisation window (`domain.entry_windows`) of one employee or of one
    unit and the units below it, until a day, with the reason; kept as the record of who
    allowed which late writes and why."""

    __tablename__ = "window_reopenings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    until: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    granted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    #: The one period reopened, with the periods within it (a period code); None: every
    #: period (migration 0022).
    period: Mapped[str | None] = mapped_column(String(7))

    __table_args__ = (
        CheckConstraint("(employee_id IS NULL) <> (unit_id IS NULL)", name="one_scope"),
    )


class CalibrationClosing(Base):
    """hr closing (locking) the calibration of a unit and the units below it for a period,
    with the distribution as it stood then (`domain.calibration_closings`). Reopening keeps
    the row (who, when, why); a later closing is a new row. One standing (not reopened)
    closing per unit and period: the partial unique index."""

    __tablename__ = "calibration_closings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    period: Mapped[str] = mapped_column(String(7))
    note: Mapped[str | None] = mapped_column(Text)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    closed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime] = created_at_column()
    reopened_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reopened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reopen_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_calibration_closings_period_unit", "period", "unit_id"),
        Index(
            "uq_calibration_closings_standing",
            "unit_id",
            "period",
            unique=True,
            sqlite_where=text("reopened_at IS NULL"),
            postgresql_where=text("reopened_at IS NULL"),
        ),
        CheckConstraint(
            "(reopened_at IS NULL) = (reopen_reason IS NULL)", name="reopen_has_reason"
        ),
    )


class CalibrationChange(Base):
    """A predikat changed while a calibration closing stood: only an upheld objection
    (keberatan) may do that, and it is recorded against the closing it passed."""

    __tablename__ = "calibration_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    closing_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("calibration_closings.id"), index=True
    )
    objection_id: Mapped[int] = mapped_column(BigId, ForeignKey("objections.id"))
    evaluation_id: Mapped[int] = mapped_column(BigId, ForeignKey("evaluations.id"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    predikat_before: Mapped[Predikat] = enum_column(Predikat, check_name="predikat_before")
    predikat_after: Mapped[Predikat] = enum_column(Predikat, check_name="predikat_after")
    changed_at: Mapped[datetime] = created_at_column()
