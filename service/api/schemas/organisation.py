"""Units, positions (with competency standards), employees and users."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator
from pydantic import Field
from pydantic import Strict
from pydantic import field_validator

from service.api.schemas.common import Grade
from service.api.schemas.common import Id
from service.api.schemas.common import Level
from service.api.schemas.common import Model
from service.api.schemas.common import Name
from service.api.schemas.common import Out
from service.api.schemas.common import PageQuery
from service.api.schemas.common import ShortText
from service.api.schemas.common import listing
from service.api.schemas.common import not_null
from service.api.schemas.common import text
from service.db.models import Position
from service.domain.entities import EmploymentStatus
from service.domain.entities import Gender
from service.domain.entities import PositionKind
from service.domain.entities import Role
from service.domain.errors import Invalid
from service.domain.nip import parse_nip


def _nip(value: str) -> str:
    try:
        parse_nip(value)
    except Invalid as exc:
        raise ValueError(exc.errors[0].message) from None
    return value


Nip = Annotated[str, Strict(), Field(examples=["198503152010011001"]), AfterValidator(_nip)]


class UnitIn(Model):
    name: Name
    parent_id: Id | None = None
    code: ShortText | None = None
    region: text(80) | None = None  # type: ignore[valid-type]


class UnitOut(Out):
    id: int
    name: str
    parent_id: int | None
    code: str | None
    region: str | None
    version: int


class UnitPatch(Model):
    """Fields to change; absent fields stay, `null` clears an optional one (a top-level unit
    has `parent_id: null`, which only admin may set)."""

    name: Name | None = None
    parent_id: Id | None = None
    code: ShortText | None = None
    region: text(80) | None = None  # type: ignore[valid-type]

    @field_validator("name")
    @classmethod
    def not_null(cls, value: object) -> object:
        return not_null(value)


class CompetencyStandardItem(Model):
    competency: ShortText
    required_level: Level


class PositionIn(Model):
    title: Name
    kind: PositionKind
    level: ShortText | None = None
    unit_id: Id | None = None
    competency_standards: list[CompetencyStandardItem] = Field(
        default_factory=list, max_length=100
    )


class PositionPatch(Model):
    """Fields to change; `competency_standards`, when given, replaces the whole standard."""

    title: Name | None = None
    kind: PositionKind | None = None
    level: ShortText | None = None
    unit_id: Id | None = None
    competency_standards: list[CompetencyStandardItem] | None = Field(None, max_length=100)

    @field_validator("title", "kind", "competency_standards")
    @classmethod
    def not_null(cls, value: object) -> object:
        return not_null(value)


class CompetencyStandardOut(Out):
    competency: str
    required_level: int


class PositionOut(Out):
    id: int
    title: str
    kind: PositionKind
    level: str | None
    unit_id: int | None
    competency_standards: list[CompetencyStandardOut]
    version: int


class EmployeeIn(Model):
    nip: Nip
    name: Name
    unit_id: Id
    position_id: Id
    supervisor_id: Id | None = None
    gender: Gender | None = None
    birth_date: date | None = None
    hire_date: date | None = None
    grade: Grade | None = None
    employment_status: EmploymentStatus = EmploymentStatus.PNS


class EmployeePatch(Model):
    """Fields to change; absent fields stay as they are, `null` clears an optional one."""

    nip: Nip | None = None
    name: Name | None = None
    unit_id: Id | None = None
    position_id: Id | None = None
    supervisor_id: Id | None = None
    gender: Gender | None = None
    birth_date: date | None = None
    hire_date: date | None = None
    grade: Grade | None = None
    employment_status: EmploymentStatus | None = None
    is_active: Annotated[bool, Strict()] | None = None

    @field_validator("nip", "name", "unit_id", "position_id", "employment_status", "is_active")
    @classmethod
    def not_null(cls, value: object) -> object:
        return not_null(value)


class EmployeeOut(Out):
    id: int
    nip: str
    name: str
    unit_id: int
    position_id: int
    supervisor_id: int | None
    gender: Gender | None
    birth_date: date | None
    hire_date: date | None
    grade: str | None
    employment_status: EmploymentStatus
    is_active: bool
    version: int


class EmployeeQuery(PageQuery):
    unit_id: int | None = Field(None, ge=1, le=2**31 - 1)
    supervisor_id: int | None = Field(None, ge=1, le=2**31 - 1)


class UserIn(Model):
    username: Annotated[str, Strict(), Field(min_length=3, max_length=80)]
    password: Annotated[str, Strict(), Field(min_length=1, max_length=256)]
    role: Role
    employee_id: Id | None = None
    unit_id: Id | None = None


class UserOut(Out):
    id: int
    username: str
    role: Role
    employee_id: int | None
    unit_id: int | None
    is_active: bool


class UserQuery(PageQuery):
    role: Role | None = None


UnitList = listing(UnitOut)
UserList = listing(UserOut)
PositionList = listing(PositionOut)
EmployeeList = listing(EmployeeOut)


def position_out(position: Position, standards: list[tuple[str, int]]) -> PositionOut:
    """Serialize a position with its competency standard."""
    items = [CompetencyStandardOut(competency=c, required_level=lv) for c, lv in standards]
    return PositionOut(
        id=position.id,
        title=position.title,
        kind=position.kind,
        level=position.level,
        unit_id=position.unit_id,
        competency_standards=items,
        version=position.version,
    )
