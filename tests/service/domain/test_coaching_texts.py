"""The reviewed coaching catalogue reads right with the values it is given."""

from __future__ import annotations

import re

import pytest

from service.domain.coaching import CoachingRule
from service.domain.coaching import load_catalogue

#: A signed figure after a word that already says the direction ("turun -13%").
DOUBLE_DIRECTION = re.compile(r"\b(turun|menurun|naik|meningkat|fell|rose)\s+[-+−]", re.I)


def _firing_value(rule: CoachingRule) -> float:
    limit = rule.limit(20.0)
    assert limit is not None
    step = {"<": -0.13, "<=": -0.13, ">": 0.13, ">=": 0.13}[rule.operator]
    value = limit + step * max(1.0, abs(limit))
    assert rule.fires(value)
    return value


@pytest.mark.parametrize("rule", load_catalogue(), ids=lambda rule: rule.code)
def test_no_reason_says_its_direction_twice(rule: CoachingRule) -> None:
    suggestion = rule.suggestion(_firing_value(rule))
    for text in (suggestion["why"], suggestion["why_en"]):
        assert DOUBLE_DIRECTION.search(text) is None, text
