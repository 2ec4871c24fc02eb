"""Domain exceptions carry the HTTP status API.md assigns (named to not clash with api tests)."""

from __future__ import annotations

import pytest

from service.domain.entities import Role
from service.domain.errors import BadRequest
from service.domain.errors import Conflict
from service.domain.errors import DomainError
from service.domain.errors import FieldError
from service.domain.errors import Forbidden
from service.domain.errors import Invalid
from service.domain.errors import ModelUnavailable
from service.domain.errors import NotFound
from service.domain.errors import PayloadTooLarge
from service.domain.errors import PreconditionFailed
from service.domain.errors import PreconditionRequired
from service.domain.errors import as_member


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (BadRequest, 400),
        (Forbidden, 403),
        (NotFound, 404),
        (Conflict, 409),
        (PreconditionFailed, 412),
        (PayloadTooLarge, 413),
        (Invalid, 422),
        (PreconditionRequired, 428),
        (ModelUnavailable, 503),
    ],
)
def test_status_per_api_md(error: type[DomainError], status: int) -> None:
    raised = error("something specific")

    assert isinstance(raised, DomainError)
    assert raised.status == status
    assert raised.detail == str(raised) == "something specific"
    assert raised.title


def test_detail_defaults_to_the_title() -> None:
    assert NotFound().detail == "Not Found"


def test_invalid_field_builds_one_field_error() -> None:
    error = Invalid.field("nip", "must be 18 digits", row=7)

    assert error.errors == [FieldError("nip", "must be 18 digits", 7)]
    assert error.detail == "nip: must be 18 digits"


def test_invalid_summarises_several_field_errors_unless_given_a_detail() -> None:
    errors = [FieldError("a", "bad"), FieldError("b", "worse")]

    assert Invalid(errors=errors).detail == "a: bad; b: worse"
    assert Invalid("import refused", errors).detail == "import refused"
    assert Invalid().detail == "Unprocessable Content"


def test_as_member_accepts_members_and_values_only() -> None:
    assert as_member(Role, "hr", "role") is Role.HR
    assert as_member(Role, Role.ADMIN, "role") is Role.ADMIN
    with pytest.raises(Invalid, match=r"^role: must be one of admin, hr, .*; got 'root'$"):
        as_member(Role, "root", "role")
    with pytest.raises(Invalid, match=r"^role: must be one of .*; got None$"):
        as_member(Role, None, "role")
