"""Schemathesis against the served OpenAPI document, in-process (WSGI), as one role.

Each generated request must get no 5xx and a response that conforms to the document (status
code, content type and body schema). Used by test_openapi_fuzz (admin, small budget) and
test_openapi_fuzz_roles (every role, large budget).
"""

from __future__ import annotations

import schemathesis
from flask import Flask
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.specs.openapi.checks import status_code_conformance

from tests.service.api.world import World

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Revoking would end the session for the rest of the run; it is tested on its own.
EXCLUDED = "/api/v1/auth/revoke"
_QUIET = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]


def fuzz(app: Flask, world: World, examples: int, role: str = "admin") -> dict[str, str]:
    """Run `examples` generated requests per operation as `role`; return failures by operation."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app).exclude(path=EXCLUDED)
    headers = world.headers(role)
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples, deadline=None, suppress_health_check=_QUIET, database=None
        )
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failure
            failures[operation.label] = str(exc)[:2000]
    return failures
