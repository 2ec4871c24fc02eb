"""Typed domain exceptions; `api/errors.py` maps each to application/problem+json in one place.

Titles are the HTTP reason phrases (RFC 9110), as RFC 9457 asks when the problem type is
`about:blank`; `detail` is the human explanation of this occurrence, in English (the API's
language). A refusal a page shows may also carry a `Reason`: a message id and its values,
which the page translates into the user's language (`service.web.reasons`), so the domain
knows no language but English and the API's text does not change.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from enum import StrEnum
from typing import ClassVar
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class FieldError:
    """One rejected field; `row` is the file row (header = 1) when the input was an import."""

    field: str
    message: str
    row: int | None = None


class ReasonId(StrEnum):
    """The refusals a page shows in the user's language (each has a message there)."""

    WINDOW_CLOSED = "window_closed"
    EVIDENCE_FROZEN = "evidence_frozen"
    PLAN_NOT_APPROVED = "plan_not_approved"
    REALISATION_EMPTY = "realisation_empty"
    PERIOD_OUTSIDE_PLAN = "period_outside_plan"
    PERIOD_NOT_STARTED = "period_not_started"
    INDICATOR_NOT_IN_PLAN = "indicator_not_in_plan"
    REALISATION_EXISTS = "realisation_exists"
    CALIBRATION_CLOSED = "calibration_closed"
    CALIBRATION_GRADE_CLOSED = "calibration_grade_closed"


@dataclass(frozen=True)
class Reason:
    """Why a rule refused, as a message id and the values it names (dates as `date`, for
    the page to write in its language): what a page translates instead of `detail`."""

    id: ReasonId
    values: Mapping[str, object] = field(default_factory=dict)


class DomainError(Exception):
    """A rule of the domain refused the request; never a server fault."""

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad Request"

    def __init__(self, detail: str | None = None, *, reason: Reason | None = None) -> None:
        self.detail = detail or self.title
        self.reason = reason
        super().__init__(self.detail)


class BadRequest(DomainError):
    status = 400
    title = "Bad Request"


class Invalid(DomainError):
    """Input that is well formed but breaks a rule; carries one FieldError per bad field."""

    status = 422
    title = "Unprocessable Content"

    def __init__(
        self,
        detail: str | None = None,
        errors: Iterable[FieldError] = (),
        *,
        reason: Reason | None = None,
    ) -> None:
        self.errors = list(errors)
        summary = "; ".join(f"{error.field}: {error.message}" for error in self.errors)
        super().__init__(detail or summary or None, reason=reason)

    @classmethod
    def field(
        cls, name: str, message: str, *, row: int | None = None, reason: Reason | None = None
    ) -> Invalid:
        """Build the error for a single bad field."""
        return cls(errors=[FieldError(name, message, row)], reason=reason)


class InvalidFile(Invalid):
    """An import refused: every error names its file `row` (header = 1), null where the
    problem is the file itself (empty, unreadable, no data rows), so a client reads each
    error of an import the same way (API.md)."""

    @classmethod
    def of(cls, exc: Invalid) -> InvalidFile:
        return cls(exc.detail, exc.errors)


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class NotFound(DomainError):
    status = 404
    title = "Not Found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class PreconditionFailed(DomainError):
    status = 412
    title = "Precondition Failed"


class PayloadTooLarge(DomainError):
    status = 413
    title = "Content Too Large"


class PreconditionRequired(DomainError):
    status = 428
    title = "Precondition Required"


class ModelUnavailable(DomainError):
    status = 503
    title = "Service Unavailable"


def as_member(enum_type: type[E], value: object, field: str) -> E:
    """Return `value` as a member of `enum_type` (member or its string value), else Invalid."""
    if isinstance(value, str):
        try:
            return enum_type(value)
        except ValueError:
            pass
    choices = ", ".join(member.value for member in enum_type)
    raise Invalid.field(field, f"must be one of {choices}; got {value!r}")
