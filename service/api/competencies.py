"""GET /competencies: the competency dictionary (every role)."""

from __future__ import annotations

from typing import Any

from service.api import bp
from service.api.http import listing
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.common import PageQuery
from service.api.schemas.development import CompetencyList
from service.api.schemas.development import CompetencyOut
from service.auth.decorators import allow
from service.db import get_session
from service.db.repositories import development as repo


@bp.get("/competencies")
@allow()
@spec.validate(resp=responses(HTTP_200=CompetencyList), tags=["competencies"])
def get_competencies(query: PageQuery) -> Any:
    """List the competency dictionary: code, name and group (levels 1-5)."""
    page = repo.list_competencies(get_session(), query.limit, query.offset)
    return listing(CompetencyList, page, CompetencyOut.model_validate)
