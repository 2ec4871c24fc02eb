"""Tokens, the caller, the audit log, imports and exports."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field
from pydantic import Strict

from service.api.schemas.common import MAX_ID
from service.api.schemas.common import Model
from service.api.schemas.common import Moment
from service.api.schemas.common import Out
from service.api.schemas.common import PageQuery
from service.api.schemas.common import PeriodCode
from service.api.schemas.common import listing
from service.api.schemas.common import text
from service.domain.entities import Role


class TokenIn(Model):
    username: text(80)  # type: ignore[valid-type]
    password: Annotated[str, Strict(), Field(min_length=1, max_length=256)]


class TokenOut(Out):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int


class MeOut(Out):
    user_id: int | None
    username: str | None
    role: Role
    employee_id: int | None
    unit_id: int | None


class AuditQuery(PageQuery):
    employee_id: int | None = Field(None, ge=1, le=MAX_ID)
    actor_user_id: int | None = Field(None, ge=1, le=MAX_ID)
    since: datetime | None = None
    until: datetime | None = None


class AuditOut(Out):
    id: int
    at: Moment
    actor_user_id: int | None
    actor_username: str | None
    action: str
    resource: str
    resource_id: str | None
    employee_id: int | None
    request_id: str | None


class ImportOut(Out):
    count: int = Field(description="evaluations written")
    import_id: str = Field(
        description="this import's identifier, to quote: every audit row the import wrote "
        "(one per employee) has resource_id 'import <import_id>'; a replay of the same "
        "Idempotency-Key answers the same id",
        pattern="^[0-9a-f]{32}$",
    )


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class ExportQuery(Model):
    period: PeriodCode
    format: ExportFormat = ExportFormat.CSV


AuditList = listing(AuditOut)
