"""Read the pages' forms into the same inputs the API takes, and name what was refused.

The evaluation form becomes the JSON body of `POST /employees/{id}/evaluations`, checked by the
same `parse_evaluation`; the feedback form is checked by the API's own `FeedbackIn` schema, so
a page accepts and refuses exactly what the API does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from typing import TypeGuard
from typing import TypeVar

from flask import request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel
from pydantic import ValidationError
from werkzeug.datastructures import MultiDict

from service.api.schemas.performance import FeedbackIn
from service.domain.entities import BerakhlakValue
from service.domain.entities import PeriodKind
from service.domain.errors import FieldError
from service.domain.errors import Invalid
from service.domain.periods import not_started
from service.domain.periods import parse_period
from service.domain.periods import period_of
from service.routing import MAX_ID

M = TypeVar("M", bound=BaseModel)
TEXT_MAX_CHARS = 5000
#: The largest offset a list page asks the database for: no list is longer, and a larger
#: number fits no database integer (SQLite raises OverflowError on it).
MAX_OFFSET = MAX_ID
#: What to tell the user about a refused field, in their language.
FIELD_HELP: Mapping[str, Any] = {
    "period": _l("Give a period such as 2025, 2025-Q1 or 2025-03."),
    "work_result_rating": _l("Choose the rating of the work results."),
    "behavior_rating": _l("Choose the overall rating of the work behaviour."),
    "behavior_ratings": _l("Choose a rating for each value, or leave it empty."),
    "feedback": _l("Write at most 5,000 characters."),
    "body": _l("Write a note of 1 to 5,000 characters."),
    "target": _l("Choose whether the note is about work results or behaviour."),
    "employee_id": _l("Choose a member of your team."),
}


def evaluation_body(form: MultiDict[str, str]) -> dict[str, Any]:
    """Turn the evaluation form into the API's JSON body (empty choices left out)."""
    values = {
        value.value: form.get(f"value_{value.value}", "")
        for value in BerakhlakValue
        if form.get(f"value_{value.value}")
    }
    body: dict[str, Any] = {
        "period": form.get("period", "").strip(),
        "work_result_rating": form.get("work_result_rating", ""),
        "behavior_rating": form.get("behavior_rating", ""),
        "behavior_ratings": values,
    }
    feedback = form.get("feedback", "").strip()
    if feedback:
        body["feedback"] = feedback[: TEXT_MAX_CHARS + 1]
    return body


def feedback_fields(form: MultiDict[str, str]) -> dict[str, Any]:
    """Check the feedback form with the API's schema; Invalid names every bad field."""
    raw = {
        "period": form.get("period", "").strip(),
        "target": form.get("target", ""),
        "body": form.get("body", "")[: TEXT_MAX_CHARS + 1],
    }
    return validated(FeedbackIn, raw).model_dump()


def validated(model: type[M], raw: Mapping[str, Any]) -> M:
    """Check a form's fields with an API schema; Invalid names every bad field."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errors = [FieldError(str(e["loc"][0]), e["msg"]) for e in exc.errors() if e["loc"]]
        raise Invalid(errors=errors) from None


def field_messages(exc: Invalid, help_texts: Mapping[str, Any] = FIELD_HELP) -> dict[str, str]:
    """Map each refused field to a message for the form, in the user's language when known.

    The domain's own message (English, technical) is shown only for fields without help.
    """
    messages: dict[str, str] = {}
    for error in exc.errors:
        field = error.field.split(".")[0]
        help_text = help_texts.get(field)
        messages[field] = str(help_text) if help_text else error.message
    if "period" in messages and help_texts.get("period"):
        messages["period"] = coming_period(request.values.get("period", "")) or messages["period"]
    return messages


def coming_period(code: str) -> str | None:
    """Say that the well-formed period `code` has not started yet, else None: its refusal is
    then no matter of format, and the format's help would send the user after a typo."""
    try:
        period = parse_period(code.strip())
    except Invalid:
        return None
    if not_started(period) is None:
        return None
    return _(
        "The period %(period)s has not started; it starts on %(day)s.",
        period=period.code,
        day=format_date(period.starts_on),
    )


def period_choices(today: date) -> list[str]:
    """Suggest the periods a rater usually means: this and last quarter, this and last year."""
    quarter = period_of(today, PeriodKind.QUARTER)
    year = period_of(today, PeriodKind.YEAR)
    return [quarter.code, quarter.previous().code, year.code, year.previous().code]


def is_id(value: object) -> TypeGuard[int]:
    """Whether `value`, an id a page read from its query or form (or a template passed on),
    can name a row: an integer from 1 to MAX_ID, the bound of the path's id converter. A
    larger number names no row and fits no id column (PostgreSQL's are 32-bit; SQLite raises
    OverflowError on it), so each page answers it as it answers an unknown id."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def query_offset(name: str = "offset") -> int:
    """The first row a list page shows, from `?name=`: 0 when absent or bad, at most
    MAX_OFFSET (beyond the end, the page is empty)."""
    return min(max(0, request.values.get(name, 0, type=int) or 0), MAX_OFFSET)
