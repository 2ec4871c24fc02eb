"""A position's SKP template and the bulk drafting of a unit's SKPs from the templates."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from pydantic import Strict

from service.api.schemas.common import Model
from service.api.schemas.common import Moment
from service.api.schemas.common import Out
from service.api.schemas.performance import RhkFields
from service.api.schemas.performance import Year
from service.domain.entities import SkpApproach
from service.domain.entities import SkpModel
from service.domain.skp_templates import SkipReason

Ordinal = Annotated[int, Strict(), Field(ge=1, le=50)]


class TemplateRhk(RhkFields):
    """An RHK of a template. `parent_ordinal`: the place (1 = first) of the RHK it supports
    in its rater's SKP of the same year (*RHK atasan yang diintervensi*); a draft links to
    that RHK when the rater's plan has one there, else the employee links it."""

    parent_ordinal: Ordinal | None = None


class SkpTemplateIn(Model):
    model: SkpModel = SkpModel.JA_JF
    approach: SkpApproach = SkpApproach.KUANTITATIF
    rhks: list[TemplateRhk] = Field(min_length=1, max_length=50)


class SkpTemplateOut(Out):
    position_id: int
    model: SkpModel
    approach: SkpApproach
    rhks: list[TemplateRhk]
    updated_by_id: int | None
    updated_at: Moment
    version: int


class UnitSkpsIn(Model):
    year: Year
    include_subunits: bool = True


class SkippedEmployee(Out):
    employee_id: int
    reason: SkipReason


class UnitSkpsOut(Out):
    """The drafting run kept: how many draft SKPs were created, and who got none and why."""

    id: int = Field(description="the drafting run, kept with whom it skipped")
    created: int
    skipped: list[SkippedEmployee]
