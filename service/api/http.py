"""Small helpers every resource module shares: paging, ETags, If-Match, committing, replies."""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any
from typing import TypeVar

from flask import Response
from flask import current_app
from flask import request
from pydantic import BaseModel

from service.auth.decorators import current_actor
from service.db import get_session
from service.db.repositories import Page
from service.domain.errors import PreconditionFailed
from service.domain.organisation import ANY_VERSION
from service.domain.settings import RuleSettings
from service.routing import id_segment

T = TypeVar("T")
#: Path parameters: ids are bounded so a huge number is a 404, never a database overflow.
EMPLOYEE_ID = id_segment("employee_id")
UNIT_ID = id_segment("unit_id")
POSITION_ID = id_segment("position_id")
EVALUATION_ID = id_segment("evaluation_id")
SKP_ID = id_segment("skp_id")
USER_ID = id_segment("user_id")
_ETAG = re.compile(r'^(?:W/)?"([0-9]{1,18})"$')


def etag(version: int) -> dict[str, str]:
    """Return the ETag header of an object at `version`."""
    return {"ETag": f'"{version}"'}


def if_match(*, optional: bool = False) -> int | None:
    """Read the version named by If-Match for the use case to check.

    None when the header is absent (the use case answers 428 once access is settled), or
    ANY_VERSION when it is absent on an `optional` route or is `*`; 412 for a tag this API
    never issued (including a list of tags: an edit is based on one GET).
    """
    value = request.headers.get("If-Match")
    if value is None:
        return ANY_VERSION if optional else None
    value = value.strip()
    if value == "*":
        return ANY_VERSION
    match = _ETAG.match(value)
    if match is None:
        raise PreconditionFailed(f"If-Match {value[:40]!r} is not an ETag this API issued")
    return int(match.group(1))


def listing(model: type[BaseModel], page: Page[T], serialize: Callable[[T], Any]) -> BaseModel:
    """Build a `{"items", "total"}` answer from a page of domain results."""
    return model(items=[serialize(item) for item in page.items], total=page.total)


def committed(value: T) -> T:
    """Commit the request's session (audit rows of a read, or a write) and pass `value` on.

    A session in no transaction has nothing to commit (a read that ran its statements
    alone, `evaluations.read_evaluation`): committing it would begin and end an empty one,
    a twentieth of such a read's CPU.
    """
    session = get_session()
    if session.in_transaction():
        session.commit()
    return value


def run(use_case: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call `use_case(session, actor, *args, **kwargs)` and commit once."""
    return committed(use_case(get_session(), current_actor(), *args, **kwargs))


def app_setting(name: str, parse: Callable[[Mapping[str, Any]], T]) -> T:
    """The app's setting `name`, parsed from its config by `parse` on first use and kept in
    `app.extensions` (a test may put its own there)."""
    value = current_app.extensions.get(name)
    if value is None:
        value = parse(current_app.config)
        current_app.extensions[name] = value
    return value


def rule_settings() -> RuleSettings:
    """Return the app's rule settings, parsed once from its config."""
    return app_setting("rule_settings", RuleSettings.from_mapping)


def raw_json(body: str, status: int, headers: Iterable[tuple[str, str]] = ()) -> Response:
    """Return a JSON body that is already serialized (a replayed answer)."""
    response = Response(body, status=status, mimetype="application/json")
    response.headers.extend(list(headers))
    return response
