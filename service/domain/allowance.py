"""The allowance link: predikat and attendance -> the performance part of the allowance, in %.

*Tunjangan kinerja* (central agencies) and TPP (regions) are paid under agency-specific rules;
no national formula links a predikat to a percentage (domain.md 6.2 and open question 13,
[U]). So the rule is configuration, per agency, and the built-in default only follows common
practice. Every number below is **configurable and unconfirmed**:

- the allowance splits into a performance component and an attendance component, 60 % and
  40 % (the BP2MI 2024 example, domain.md 6.2 [C: S41a]);
- the performance component pays a share by predikat: sangat_baik 100, baik 100,
  butuh_perbaikan 75, kurang 50, sangat_kurang 25 (the reductions resemble the Ministry of
  Religious Affairs' 2016 steps of 25/50/75 % [C: S41c] and the JF credit-point shares
  [C: S21a]; [U] as a tukin rule);
- the attendance component loses 4 % per absent working day (Ministry of Agriculture example
  [C: S41b]) and 1 % per late day (that example charges 0.5-2 % by lateness band; the monthly
  summary has no minutes, so one flat rate), at most `deduction_cap` = 100 % of the component.

    allowance % = (performance_weight x predikat share
                   + attendance_weight x (100 - min(cap, absent x rate + late x rate))) / 100

An employee without an evaluation for the period (or, with `missing_attendance = withhold`,
without attendance) gets no percentage but a status, so a person decides (UU 27/2022: no
automated decision on pay; domain.md 7). The computation only reads evaluations and
attendance; it never writes them.

The rule file (KINERJA_ALLOWANCE_RULES, JSON) overrides the built-in default and may give a
rule per agency, keyed by the code of the agency's unit; an employee gets the rule of the
nearest unit above (or at) their own that has one:

    {"default": {"performance_weight": 60, "attendance_weight": 40},
     "units": {"KEMENTAN": {"late_day_deduction": 0.5,
                            "predikat_percent": {"butuh_perbaikan": 80}}}}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from dataclasses import replace
from pathlib import Path
from typing import Any

from service.domain.entities import Predikat
from service.domain.errors import FieldError
from service.domain.errors import Invalid

CONFIG_KEY = "KINERJA_ALLOWANCE_RULES"
MISSING_ATTENDANCE = ("withhold", "no_deduction")
DEFAULT_SHARES: dict[Predikat, float] = {
    Predikat.SANGAT_BAIK: 100.0,
    Predikat.BAIK: 100.0,
    Predikat.BUTUH_PERBAIKAN: 75.0,
    Predikat.KURANG: 50.0,
    Predikat.SANGAT_KURANG: 25.0,
}


@dataclass(frozen=True)
class AllowanceRule:
    """One agency's rule; percentages are of the allowance (weights) or of a component."""

    predikat_percent: dict[Predikat, float] = field(default_factory=lambda: dict(DEFAULT_SHARES))
    performance_weight: float = 60.0
    attendance_weight: float = 40.0
    absent_day_deduction: float = 4.0
    late_day_deduction: float = 1.0
    deduction_cap: float = 100.0
    missing_attendance: str = "withhold"


@dataclass(frozen=True)
class Attendance:
    """Attendance over the period: working days, days present, days late."""

    work_days: int
    present_days: int
    late_days: int

    @property
    def absent_days(self) -> int:
        return self.work_days - self.present_days


@dataclass(frozen=True)
class AllowanceShare:
    """The components and the total, in % (None when withheld), and why."""

    performance_percent: float | None
    attendance_percent: float | None
    allowance_percent: float | None
    status: str  # ok, no_evaluation or no_attendance


@dataclass(frozen=True)
class AllowanceRules:
    """The default rule and the rules per agency (by unit code); `source` says where from."""

    default: AllowanceRule = field(default_factory=AllowanceRule)
    units: dict[str, AllowanceRule] = field(default_factory=dict)
    source: str = "built-in"

    def for_unit(
        self, unit_id: int, units: Mapping[int, tuple[int | None, str | None]]
    ) -> tuple[str, AllowanceRule]:
        """The rule of the nearest unit at or above `unit_id` that has one, and its name.

        `units` maps a unit id to (parent id, code); a cycle in bad data ends the walk.
        """
        seen: set[int] = set()
        current: int | None = unit_id
        while current is not None and current not in seen:
            seen.add(current)
            parent, code = units.get(current, (None, None))
            if code is not None and code in self.units:
                return code, self.units[code]
            current = parent
        return "default", self.default


def allowance_share(
    rule: AllowanceRule, predikat: Predikat | None, attendance: Attendance | None
) -> AllowanceShare:
    """Apply `rule` to one employee's predikat and attendance (see the module docstring)."""
    performance = None if predikat is None else rule.predikat_percent[predikat]
    attendance_part = _attendance_percent(rule, attendance)
    if performance is None:
        return AllowanceShare(None, attendance_part, None, "no_evaluation")
    if attendance_part is None:
        return AllowanceShare(performance, None, None, "no_attendance")
    total = (
        rule.performance_weight * performance + rule.attendance_weight * attendance_part
    ) / 100
    return AllowanceShare(performance, attendance_part, round(total, 2), "ok")


def _attendance_percent(rule: AllowanceRule, attendance: Attendance | None) -> float | None:
    if attendance is None:
        return 100.0 if rule.missing_attendance == "no_deduction" else None
    deduction = (
        attendance.absent_days * rule.absent_day_deduction
        + attendance.late_days * rule.late_day_deduction
    )
    return round(100.0 - min(rule.deduction_cap, deduction), 2)


# --- loading the rule file -------------------------------------------------------------------


def load_rules(config: Mapping[str, Any]) -> AllowanceRules:
    """Read the rules named by KINERJA_ALLOWANCE_RULES, or the built-in default without it."""
    path = config.get(CONFIG_KEY)
    if not path:
        return AllowanceRules()
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Invalid.field(CONFIG_KEY, f"cannot read {path}: {exc}") from None
    return rules_from_document(document, f"file {Path(path).name}")


def rules_from_document(document: Any, source: str) -> AllowanceRules:
    """Build the rules from the decoded JSON; every problem is named by its path."""
    errors: list[FieldError] = []
    if not isinstance(document, dict) or set(document) - {"default", "units"}:
        raise Invalid.field(CONFIG_KEY, 'must be a JSON object with "default" and/or "units"')
    default = _rule(AllowanceRule(), document.get("default", {}), "default", errors)
    units: dict[str, AllowanceRule] = {}
    listed = document.get("units", {})
    if not isinstance(listed, dict):
        errors.append(FieldError(f"{CONFIG_KEY}: units", "must map unit codes to rules"))
        listed = {}
    for code, entry in listed.items():
        units[str(code)] = _rule(default, entry, f"units.{code}", errors)
    if errors:
        raise Invalid(errors=errors)
    return AllowanceRules(default, units, source)


def _rule(base: AllowanceRule, entry: Any, where: str, errors: list[FieldError]) -> AllowanceRule:
    """`base` with the entry's overrides; problems go to `errors` (base is returned then)."""
    before = len(errors)
    known = {f.name for f in fields(AllowanceRule)}
    if not isinstance(entry, dict):
        errors.append(FieldError(f"{CONFIG_KEY}: {where}", "must be a JSON object"))
        return base
    for key in set(entry) - known:
        errors.append(FieldError(f"{CONFIG_KEY}: {where}.{key}", f"unknown; use {sorted(known)}"))
    values: dict[str, Any] = {k: v for k, v in entry.items() if k in known}
    if "predikat_percent" in values:
        values["predikat_percent"] = _shares(base, values["predikat_percent"], where, errors)
    rule = replace(base, **values) if len(errors) == before else base
    errors.extend(_range_errors(rule, where))
    return rule


def _shares(
    base: AllowanceRule, given: Any, where: str, errors: list[FieldError]
) -> dict[Predikat, float]:
    shares = dict(base.predikat_percent)
    if not isinstance(given, dict):
        errors.append(FieldError(f"{CONFIG_KEY}: {where}.predikat_percent", "must be an object"))
        return shares
    for key, value in given.items():
        if key not in {p.value for p in Predikat}:
            message = f"unknown predikat; use {', '.join(p.value for p in Predikat)}"
            errors.append(FieldError(f"{CONFIG_KEY}: {where}.predikat_percent.{key}", message))
        else:
            shares[Predikat(key)] = value
    return shares


def _range_errors(rule: AllowanceRule, where: str) -> list[FieldError]:
    checks: list[tuple[str, Any, float, float]] = [
        ("performance_weight", rule.performance_weight, 0, 100),
        ("attendance_weight", rule.attendance_weight, 0, 100),
        ("absent_day_deduction", rule.absent_day_deduction, 0, 100),
        ("late_day_deduction", rule.late_day_deduction, 0, 100),
        ("deduction_cap", rule.deduction_cap, 0, 100),
        *((f"predikat_percent.{p.value}", v, 0, 200) for p, v in rule.predikat_percent.items()),
    ]
    errors = [
        FieldError(f"{CONFIG_KEY}: {where}.{name}", f"must be a number from {low} to {high}")
        for name, value, low, high in checks
        if isinstance(value, bool)
        or not isinstance(value, int | float)
        or not low <= value <= high
    ]
    if not errors and abs(rule.performance_weight + rule.attendance_weight - 100) > 1e-9:
        message = "performance_weight and attendance_weight must add up to 100"
        errors.append(FieldError(f"{CONFIG_KEY}: {where}", message))
    if rule.missing_attendance not in MISSING_ATTENDANCE:
        message = f"must be one of {', '.join(MISSING_ATTENDANCE)}"
        errors.append(FieldError(f"{CONFIG_KEY}: {where}.missing_attendance", message))
    return errors
