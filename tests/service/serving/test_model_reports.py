"""The data team's report of a version: the ROC curve from the logged reliability table."""

from __future__ import annotations

import pytest

from service.serving.reports import operating_point
from service.serving.reports import roc_points


def test_roc_points_flag_from_each_bin_up() -> None:
    # Bin 0: 100 people, 10 poor; bin 5: 50 people, 30 poor -> 40 poor, 110 not poor.
    reliability = (
        {"bin": 0.0, "rows": 100.0, "predicted": 0.05, "observed": 0.1},
        {"bin": 5.0, "rows": 50.0, "predicted": 0.55, "observed": 0.6},
    )
    points = roc_points(reliability)
    assert points[0] == (0.0, 0.0)
    assert points[1] == pytest.approx((20 / 110, 30 / 40))
    assert points[2] == pytest.approx((1.0, 1.0))


@pytest.mark.parametrize("observed", [0.0, 1.0])
def test_roc_needs_both_outcomes(observed: float) -> None:
    reliability = ({"bin": 1.0, "rows": 10.0, "predicted": 0.1, "observed": observed},)
    assert roc_points(reliability) == []


def test_operating_point_from_flag_rate_recall_and_base_rate() -> None:
    # 20% flagged, 10% poor, half of the poor flagged: 5% of all are poor and flagged, so
    # 15% of all (1/6 of the 90% not poor) are flagged without cause.
    metrics = {"flag_rate": 0.2, "recall_at_threshold": 0.5, "base_rate": 0.1}
    assert operating_point(metrics) == pytest.approx((0.15 / 0.9, 0.5))
    assert operating_point({"flag_rate": 0.2}) is None
    assert operating_point({**metrics, "base_rate": 0.0}) is None
