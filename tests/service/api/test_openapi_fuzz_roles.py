"""Schemathesis for every role with a large budget: no 5xx, answers as documented.

The same run as test_openapi_fuzz, authenticated as each role of the standard world in turn,
so the refusals (401, 403, 404, 422) are exercised as much as the successes. Slow: about
`EXAMPLES` requests per operation and role (KINERJA_FUZZ_EXAMPLES; 50 take some 10 minutes
per role and backend on a busy 2-core machine).
"""

from __future__ import annotations

import os

import pytest
from flask import Flask

from tests.service.api.fuzzing import fuzz
from tests.service.api.world import ROLES
from tests.service.api.world import World

EXAMPLES = int(os.environ.get("KINERJA_FUZZ_EXAMPLES", "50"))


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_every_role_survives_many_generated_requests(app: Flask, world: World, role: str) -> None:
    assert fuzz(app, world, examples=EXAMPLES, role=role) == {}
