"""The allowance rule: the formula, the rule file and the nearest agency rule (no database)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.domain.allowance import AllowanceRule
from service.domain.allowance import AllowanceRules
from service.domain.allowance import Attendance
from service.domain.allowance import allowance_share
from service.domain.allowance import load_rules
from service.domain.allowance import rules_from_document
from service.domain.entities import Predikat
from service.domain.errors import Invalid

KEY = "KINERJA_ALLOWANCE_RULES"


@pytest.mark.parametrize(
    ("predikat", "attendance", "expected"),
    [
        # 60 % x share + 40 % x (100 - 4 per absent day - 1 per late day)
        (Predikat.BAIK, Attendance(21, 21, 0), (100.0, 100.0, 100.0)),
        (Predikat.SANGAT_BAIK, Attendance(21, 20, 2), (100.0, 94.0, 97.6)),
        (Predikat.BUTUH_PERBAIKAN, Attendance(21, 19, 3), (75.0, 89.0, 80.6)),
        (Predikat.KURANG, Attendance(20, 20, 0), (50.0, 100.0, 70.0)),
        (Predikat.SANGAT_KURANG, Attendance(20, 20, 0), (25.0, 100.0, 55.0)),
        (Predikat.SANGAT_BAIK, Attendance(26, 0, 0), (100.0, 0.0, 60.0)),  # 104 capped at 100
    ],
)
def test_the_default_rule(
    predikat: Predikat, attendance: Attendance, expected: tuple[float, float, float]
) -> None:
    share = allowance_share(AllowanceRule(), predikat, attendance)
    assert (share.performance_percent, share.attendance_percent, share.allowance_percent) == (
        pytest.approx(expected[0]),
        pytest.approx(expected[1]),
        pytest.approx(expected[2]),
    )
    assert share.status == "ok"


def test_missing_data_leaves_the_decision_to_a_person() -> None:
    rule = AllowanceRule()
    no_evaluation = allowance_share(rule, None, Attendance(20, 20, 0))
    assert (no_evaluation.allowance_percent, no_evaluation.status) == (None, "no_evaluation")
    withheld = allowance_share(rule, Predikat.BAIK, None)
    assert (withheld.allowance_percent, withheld.status) == (None, "no_attendance")
    lenient = AllowanceRule(missing_attendance="no_deduction")
    assert allowance_share(lenient, Predikat.BAIK, None).allowance_percent == 100.0


def test_the_nearest_agency_rule_applies() -> None:
    rules = rules_from_document(
        {
            "default": {"late_day_deduction": 2},
            "units": {"KEMENTAN": {"predikat_percent": {"butuh_perbaikan": 80}}},
        },
        "test",
    )
    tree = {1: (None, "KEMENTAN"), 2: (1, "BIRO"), 3: (2, None), 9: (None, "LAIN")}
    name, rule = rules.for_unit(3, tree)
    assert name == "KEMENTAN" and rule.predikat_percent[Predikat.BUTUH_PERBAIKAN] == 80
    assert rule.late_day_deduction == 2  # the file's default carries into the agency rule
    assert rule.predikat_percent[Predikat.BAIK] == 100  # and the built-in shares
    assert rules.for_unit(9, tree)[0] == "default"
    assert rules.for_unit(3, {3: (3, None)})[0] == "default"  # a cycle ends the walk


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"default": {"performance_weight": 70}}, f"{KEY}: default"),
        ({"default": {"bonus": 1}}, f"{KEY}: default.bonus"),
        ({"units": {"X": {"predikat_percent": {"istimewa": 100}}}}, "units.X.predikat_percent"),
        ({"units": {"X": {"deduction_cap": 150}}}, f"{KEY}: units.X.deduction_cap"),
        ({"default": {"absent_day_deduction": "4"}}, "default.absent_day_deduction"),
        ({"default": {"missing_attendance": "ignore"}}, "default.missing_attendance"),
        ({"units": ["X"]}, f"{KEY}: units"),
        ({"agencies": {}}, KEY),
    ],
)
def test_a_bad_rule_file_names_the_entry(document: object, field: str) -> None:
    with pytest.raises(Invalid) as caught:
        rules_from_document(document, "test")
    assert any(field in error.field for error in caught.value.errors), caught.value.errors


def test_rules_are_read_from_the_configured_file(tmp_path: Path) -> None:
    assert load_rules({}) == AllowanceRules()
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"default": {"late_day_deduction": 0.5}}), encoding="utf-8")
    rules = load_rules({KEY: str(path)})
    assert rules.default.late_day_deduction == 0.5 and rules.source == "file rules.json"
    with pytest.raises(Invalid, match="cannot read"):
        load_rules({KEY: str(tmp_path / "missing.json")})
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(Invalid, match="cannot read"):
        load_rules({KEY: str(path)})
