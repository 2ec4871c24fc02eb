"""GET /openapi.json (the OpenAPI 3 document) and GET /docs (Swagger UI, assets served here)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask import send_from_directory
from flask import url_for

from service.api import bp
from service.api.openapi import INIT_JS
from service.api.openapi import SWAGGER_DIST
from service.api.openapi import docs_page
from service.api.openapi import document
from service.api.openapi import responses
from service.api.openapi import spec
from service.auth.decorators import public


@bp.get("/openapi.json")
@public
@spec.validate(resp=responses(public=True, HTTP_200=None), tags=["docs"], security={})
def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI 3 document of this API."""
    return document()


@bp.get("/docs")
@public
def docs() -> Response:
    """Serve the interactive API documentation (works offline)."""
    assets = url_for("api.docs_asset", filename="x").rsplit("/", 1)[0]
    page = docs_page(url_for("api.openapi_document"), assets)
    return Response(page, mimetype="text/html")


@bp.get("/docs/assets/<path:filename>")
@public
def docs_asset(filename: str) -> Response:
    """Serve a Swagger UI asset from the installed flask-swagger-ui package."""
    if filename == "init.js":
        return Response(INIT_JS, mimetype="text/javascript")
    return send_from_directory(SWAGGER_DIST, filename, max_age=86400)
