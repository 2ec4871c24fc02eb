"""The domain's refusals in the user's language: a page shows `describe(exc)`, not `detail`.

A use case refuses in English (`DomainError.detail`, the API's problem+json text, which
stays as it is); a refusal a page shows also carries a `Reason`, a message id and the values
it names. Each id has one message here, translated by Babel (Indonesian in messages.po),
with its dates and labels written for the page's language. A refusal without a reason (or
with an id this table lacks) is shown with its English detail, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from datetime import datetime
from enum import Enum
from typing import Any

from flask_babel import format_date
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from service.domain.errors import DomainError
from service.domain.errors import Reason
from service.domain.errors import ReasonId
from service.web.i18n import label

#: One message per reason; `%(name)s` are the reason's values.
MESSAGES: Mapping[ReasonId, Any] = {
    ReasonId.WINDOW_CLOSED: _l(
        "The window for realisations of %(period)s closed on %(closed_on)s (%(days)s days "
        "after the period ended). HR can reopen it."
    ),
    ReasonId.EVIDENCE_FROZEN: _l(
        "The evaluation of %(evaluated)s has been given, so its evidence is frozen: no "
        "realisation of %(period)s can be added now. An objection to the evaluation can "
        "bring new evidence."
    ),
    ReasonId.PLAN_NOT_APPROVED: _l(
        "The SKP is %(status)s; realisations are recorded once it is approved."
    ),
    ReasonId.REALISATION_EMPTY: _l("Give a value or a text: what was achieved."),
    ReasonId.PERIOD_OUTSIDE_PLAN: _l("The period %(period)s is outside the SKP's year %(year)s."),
    ReasonId.PERIOD_NOT_STARTED: _l(
        "The period %(period)s has not started; it starts on %(day)s."
    ),
    ReasonId.INDICATOR_NOT_IN_PLAN: _l("Choose an indicator of this SKP."),
    ReasonId.REALISATION_EXISTS: _l("This indicator already has a realisation for %(period)s."),
    ReasonId.CALIBRATION_CLOSED: _l(
        "The calibration of %(unit)s for %(period)s was closed by %(who)s on %(when)s: its "
        "predikat change now only through an upheld objection. hr over the unit can reopen it."
    ),
    ReasonId.CALIBRATION_GRADE_CLOSED: _l(
        "The calibration of %(unit)s for %(period)s was closed by %(who)s on %(when)s: the "
        "organisation grades it covers are locked until hr over the unit reopens it."
    ),
}


def describe(exc: DomainError) -> str:
    """The refusal in the user's language when it carries a known reason, else its detail."""
    if exc.reason is None or exc.reason.id not in MESSAGES:
        return exc.detail
    return translated(exc.reason)


def translated(reason: Reason) -> str:
    """The reason's message with its values written for the page's language."""
    return str(MESSAGES[reason.id]) % {key: _shown(value) for key, value in reason.values.items()}


def _shown(value: object) -> str:
    """A moment in the page's short form, a date in its long form, an enum member by its
    label, anything else as is."""
    if isinstance(value, datetime):
        return str(format_datetime(value, "short"))
    if isinstance(value, date):
        return str(format_date(value, format="long"))
    if isinstance(value, Enum):
        return label(value)
    return str(value)
