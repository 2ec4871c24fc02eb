"""The serving tests share the session's trained sample (see `samples.py`)."""

from __future__ import annotations

from tests.service.serving.samples import one_openmp_thread  # noqa: F401 (fixture)
from tests.service.serving.samples import risk_sample  # noqa: F401 (fixture)
from tests.service.serving.samples import sample_copy  # noqa: F401 (fixture)
