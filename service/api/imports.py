"""POST /imports/evaluations: a CSV or XLSX file of evaluations, all rows or none."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response
from flask import current_app
from flask import request
from pydantic import BaseModel
from spectree.model_adapter.pydantic_adapter import BaseFile
from sqlalchemy.orm import Session

from service.api import bp
from service.api.idempotency import create
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.access import ImportOut
from service.api.schemas.common import IdempotencyHeader
from service.auth.decorators import allow
from service.domain.audit import Actor
from service.domain.entities import Role
from service.domain.errors import Invalid
from service.domain.errors import InvalidFile
from service.domain.transfers import import_file


class ImportForm(BaseModel):
    """multipart/form-data with the file in the field `file`."""

    # Optional to the validator (the view names a missing file in problem+json), required in
    # the document.
    model_config = {"arbitrary_types_allowed": True, "json_schema_extra": {"required": ["file"]}}

    file: BaseFile | None = None


def file_import(view: Callable[..., Response]) -> Callable[..., Response]:
    """Answer an import's refusal with every error's file `row` (null for the file itself):
    API.md gives an import's 422 `errors: [{"row", "field", "message"}]`."""

    @wraps(view)
    def refused_by_row(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except InvalidFile:
            raise
        except Invalid as exc:
            raise InvalidFile.of(exc) from exc

    return refused_by_row


def uploaded_file() -> tuple[bytes, str]:
    """The bytes and name of the multipart field `file` (Invalid without one)."""
    upload = request.files.get("file")
    if upload is None:
        raise Invalid.field("file", "send the CSV or XLSX file in the multipart field 'file'")
    return upload.read(), upload.filename or "upload.csv"


@bp.post("/imports/evaluations")
@allow(Role.ADMIN, Role.HR)
@spec.validate(
    form=ImportForm,
    headers=IdempotencyHeader,
    resp=responses(errors=(409,), HTTP_201=ImportOut),
    tags=["imports"],
)
@file_import
def post_import() -> Response:
    """Import evaluations; 201 with the count and the import's id (the audit rows' resource_id
    is 'import <id>'); 422 lists every problem with its file row (header = row 1); 413 for an
    XLSX file that unpacks to over KINERJA_IMPORT_MAX_UNPACKED_BYTES."""
    content, filename = uploaded_file()
    limit = current_app.config["KINERJA_IMPORT_MAX_UNPACKED_BYTES"]

    def run(session: Session, actor: Actor) -> ImportOut:
        result = import_file(session, actor, content, filename, limit)
        assert result.import_id is not None  # an import with an actor has one
        return ImportOut(count=result.count, import_id=result.import_id)

    return create(run)
