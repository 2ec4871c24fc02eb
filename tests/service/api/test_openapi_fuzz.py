"""Fuzz every operation of the served OpenAPI document with schemathesis, in-process (WSGI).

Authenticated as admin on the standard world, each generated request must get no 5xx and a
response that conforms to the document (see `fuzzing.py`). The default run is a small budget
per operation; `-m slow` runs a larger one, and test_openapi_fuzz_roles every other role.
"""

from __future__ import annotations

import pytest
from flask import Flask

from tests.service.api.fuzzing import fuzz
from tests.service.api.world import World


def test_operations_survive_generated_requests(app: Flask, world: World) -> None:
    assert fuzz(app, world, examples=5) == {}


@pytest.mark.slow
def test_operations_survive_many_generated_requests(app: Flask, world: World) -> None:
    assert fuzz(app, world, examples=150) == {}
