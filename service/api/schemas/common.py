"""Shared field types, the problem document, paging and the headers the API reads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from typing import Any

from pydantic import AfterValidator
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import Strict
from pydantic import StringConstraints
from pydantic import create_model

from service.domain.errors import Invalid
from service.domain.evaluation_input import cached_period
from service.domain.evaluation_input import text_problem
from service.domain.moments import as_utc
from service.domain.organisation import PNS_GRADE
from service.domain.organisation import PPPK_GRADE
from service.routing import MAX_ID

MAX_LIMIT = 1000
DEFAULT_LIMIT = 50


def _storable(max_chars: int) -> AfterValidator:
    def check(value: str) -> str:
        problem = text_problem(value, max_chars)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


def text(max_chars: int, min_chars: int = 1) -> Any:
    """A string type: stripped, `min_chars`..`max_chars` long, no control characters."""
    return Annotated[
        str,
        Strict(),
        StringConstraints(strip_whitespace=True, min_length=min_chars, max_length=max_chars),
        _storable(max_chars),
    ]


Id = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]
Level = Annotated[int, Strict(), Field(ge=1, le=5)]
Name = text(200)
ShortText = text(40)
LongText = text(5000)
#: A golongan of a PNS/CPNS or a PPPK; `organisation.check_grade` checks it fits the status.
Grade = Annotated[str, Strict(), Field(pattern=f"^(?:{PNS_GRADE}|{PPPK_GRADE})$")]


def _period(value: str) -> str:
    try:
        cached_period(value)
    except Invalid as exc:
        raise ValueError(exc.errors[0].message) from None
    return value


PeriodCode = Annotated[
    str,
    Strict(),
    Field(max_length=16, examples=["2025", "2025-Q1", "2025-03"]),
    AfterValidator(_period),
]
MonthCode = Annotated[
    str, Strict(), Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$"), AfterValidator(_period)
]
Number = Annotated[float, Field(allow_inf_nan=False, ge=-1e12, le=1e12)]


#: A stored timestamp in an answer, always with its offset (RFC 3339): SQLite returns naive
#: timestamps, stored in UTC (`moments.as_utc`).
Moment = Annotated[datetime, AfterValidator(as_utc)]


class Model(BaseModel):
    """Base of request models: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    """Base of response models, built from ORM rows or dataclasses."""

    model_config = ConfigDict(from_attributes=True)


class ProblemField(BaseModel):
    field: str
    message: str
    row: int | None = None


class Problem(BaseModel):
    """RFC 9457 problem details, with `errors` for validation failures."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[ProblemField] | None = None


class PageQuery(BaseModel):
    """`?limit=&offset=` of every list."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_ID)


class IdempotencyHeader(BaseModel):
    """POSTs that create accept `Idempotency-Key`: a retry returns the first answer."""

    model_config = ConfigDict(populate_by_name=True)

    idempotency_key: str | None = Field(
        None, alias="Idempotency-Key", min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$"
    )


class IfMatchHeader(BaseModel):
    """PATCH needs `If-Match` with the ETag of the GET (428 without, 412 when stale)."""

    model_config = ConfigDict(populate_by_name=True)

    if_match: str | None = Field(None, alias="If-Match", max_length=100)


def not_null(value: object) -> object:
    """Refuse `null` for a field that a PATCH may leave out but not clear."""
    if value is None:
        raise ValueError("may be left out but not set to null")
    return value


def listing(item: type[BaseModel]) -> type[BaseModel]:
    """Build the `{"items": [...], "total": N}` model of a list of `item`."""
    return create_model(
        f"{item.__name__.removesuffix('Out')}List",
        __base__=Out,
        items=(list[item], ...),  # type: ignore[valid-type]
        total=(int, ...),
    )
