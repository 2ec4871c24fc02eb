"""Shapes of the risk answers, the team list, the model registry and retrain jobs (API.md)."""

from __future__ import annotations

from typing import Any
from typing import Literal

from pydantic import Field

from service.api.schemas.common import Model
from service.api.schemas.common import Moment
from service.api.schemas.common import Out
from service.db.models import ModelJob


class DriverOut(Out):
    feature: str
    label: str
    label_en: str
    value: float | None
    contribution: float


class RiskModelOut(Out):
    name: str
    version: str | None
    fallback: bool


class BoundsOut(Out):
    low: float
    high: float


class UncertaintyOut(Out):
    """What happened to the held-out employees the model put in the same probability band."""

    level: float = Field(description="confidence level of `interval`")
    band: BoundsOut = Field(description="the probability band the answer falls in")
    similar: int = Field(description="held-out employees in that band when the model was evaluated")
    observed: float = Field(description="share of them whose next predikat was poor")
    interval: BoundsOut = Field(description="Wilson interval of that share at `level`")


class RiskOut(Out):
    employee_id: int
    as_of_period: str | None
    status: Literal["ok", "insufficient_data"]
    probability: float | None
    flagged: bool
    threshold: float | None
    drivers: list[DriverOut]
    model: RiskModelOut
    uncertainty: UncertaintyOut | None = Field(
        default=None,
        description="the model's record in this probability band; null for insufficient data, "
        "fallback answers and models trained before the record was kept",
    )


class CoachingOut(Out):
    code: str
    action: str
    why: str
    action_en: str
    why_en: str


class TeamMemberOut(Out):
    employee_id: int
    name: str
    risk: RiskOut
    coaching: list[CoachingOut]


class TeamOut(Out):
    items: list[TeamMemberOut]
    total: int


class ModelVersionOut(Out):
    name: str
    version: str
    role: Literal["champion", "previous", "candidate"]
    aliases: list[str]
    run_id: str | None
    created_at: int | None
    promoted: bool
    decision: str | None
    metrics: dict[str, float]
    drift: dict[str, float] = Field(description="PSI per feature, latest period vs training")


class ServedOut(Out):
    name: str
    alias: str
    version: str | None
    source: str | None
    fallback: bool
    loading: bool = Field(
        description="this worker's first load of the model is under way: answers wait for it"
    )
    error: str | None


class ModelsOut(Out):
    items: list[ModelVersionOut]
    total: int
    served: ServedOut
    registry_error: str | None = None


class RetrainIn(Model):
    """Optional overrides of the trees' parameters for this run."""

    params: dict[str, float | int | str] = Field(default_factory=dict, max_length=20)


class JobOut(Out):
    id: int
    kind: str
    status: Literal["queued", "running", "succeeded", "failed"]
    requested_at: Moment | None
    started_at: Moment | None
    finished_at: Moment | None
    message: str | None
    result: dict[str, Any] | None


def job_out(job: ModelJob) -> JobOut:
    """The answer of a retrain job, its timestamps in UTC (`Moment`)."""
    return JobOut.model_validate(job)
