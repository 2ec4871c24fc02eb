"""Rater calibration (hr, admin): raters of a unit who rate markedly more leniently or
harshly than the rest of the unit in a period."""

from __future__ import annotations

from typing import Any

from service.api import bp
from service.api.http import UNIT_ID
from service.api.http import run
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.calibration import CalibrationOut
from service.api.schemas.calibration import CalibrationQuery
from service.api.schemas.calibration import calibration_out
from service.auth.decorators import allow
from service.domain.entities import Role
from service.domain.rater_calibration import MIN_RATED
from service.domain.rater_calibration import rater_calibration

TAGS = ["units"]


@bp.get(f"/units/{UNIT_ID}/rater-calibration")
@allow(Role.ADMIN, Role.HR)
@spec.validate(resp=responses(HTTP_200=CalibrationOut), tags=TAGS)
def get_rater_calibration(unit_id: int, query: CalibrationQuery) -> Any:
    """Each rater of at least `min_rated` people in the unit (and the units below) against
    the rest of the unit: mean score, difference, its confidence interval (95 % over all the
    raters together) and a `lenient`/`harsh` flag when the interval excludes zero. A flag
    asks for a calibration discussion: a team may really perform differently."""
    return calibration_out(run(rater_calibration, unit_id, query.period), MIN_RATED)
