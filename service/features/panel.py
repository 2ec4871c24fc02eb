"""A dense panel of per-employee histories: one row per employee, one column per period.

Training, batch scoring and the single-employee serving path all build the same `Panel` from
plain column arrays (numpy), so there is one feature code path and no train/serve skew. The
batch path passes DataFrame columns; the serving path passes the few rows of one employee.
Periods are ordinals (year * periods-per-year + index - 1) of one period kind; everything
dated (months, assessments, enrolments, hire dates) lands in the period that contains it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from service.domain.entities import BerakhlakValue
from service.domain.entities import IndicatorAspect
from service.domain.entities import PeriodKind
from service.domain.errors import Invalid
from service.domain.feedback360_results import DEFAULT_MIN_GROUP_ANSWERS
from service.domain.periods import Period
from service.domain.periods import parse_period
from service.features.distinct import per_value
from service.features.scales import PREDIKAT_SCORE
from service.features.scales import RATING_SCORE
from service.features.scales import grade_rank
from service.features.signals import fill_signals

PER_YEAR: dict[PeriodKind, int] = {PeriodKind.YEAR: 1, PeriodKind.QUARTER: 4, PeriodKind.MONTH: 12}
VALUE_COLUMNS: tuple[str, ...] = tuple(f"behavior_{value.value}" for value in BerakhlakValue)
#: Indicator aspects whose yearly target is pro-rated per period; others (kualitas, waktu) are
#: levels compared with the target as they are.
PRO_RATED_ASPECTS = (IndicatorAspect.KUANTITAS.value, IndicatorAspect.BIAYA.value)
#: Each competency's level minus its standard counts within these bounds in `balance`.
BALANCE_CLIP = (-2.0, 1.0)
#: A realisation ratio is clipped to this range so one odd indicator cannot dominate.
ACHIEVEMENT_CLIP = (0.0, 2.0)

Columns = Mapping[str, np.ndarray]


@dataclass(frozen=True)
class PeriodAxis:
    """Consecutive periods of one kind, from ordinal `first` for `length` periods."""

    kind: PeriodKind
    first: int
    length: int

    @classmethod
    def spanning(cls, first: str, last: str) -> PeriodAxis:
        """Build the axis from period code `first` to `last`, both included."""
        start, end = parse_period(first), parse_period(last)
        if start.kind is not end.kind or end < start:
            raise ValueError(f"period axis needs {first!r} <= {last!r} of one kind")
        return cls(start.kind, _ordinal(start), _ordinal(end) - _ordinal(start) + 1)

    @property
    def per_year(self) -> int:
        return PER_YEAR[self.kind]

    def code(self, index: int) -> str:
        """Return the period code at position `index` of the axis."""
        year, offset = divmod(self.first + index, self.per_year)
        return Period.of(self.kind, year, offset + 1).code

    def codes(self) -> list[str]:
        return [self.code(i) for i in range(self.length)]

    def index_of_codes(self, codes: np.ndarray) -> np.ndarray:
        """Map period codes to axis positions; -1 for another kind or a code off the axis."""
        return per_value(codes, lambda code: self._index_of_code(str(code)), np.int64)

    def index_of_months(self, month_ordinals: np.ndarray) -> np.ndarray:
        """Map month ordinals (year * 12 + month - 1) to axis positions (may be off the axis)."""
        months = np.asarray(month_ordinals, dtype=np.int64)
        return months // (12 // self.per_year) - self.first

    def end_month(self, index: int) -> int:
        """Month ordinal of the last month of the period at `index`."""
        months = 12 // self.per_year
        return (self.first + index) * months + months - 1

    def _index_of_code(self, code: str) -> int:
        try:
            period = parse_period(code)
        except Invalid:
            return -1
        index = _ordinal(period) - self.first
        return index if period.kind is self.kind and 0 <= index < self.length else -1


def _ordinal(period: Period) -> int:
    return period.year * PER_YEAR[period.kind] + period.index - 1


def month_ordinals(values: np.ndarray) -> np.ndarray:
    """Return year * 12 + month - 1 for dates (datetime64 or date) or "YYYY-MM" strings."""
    values = np.asarray(values)
    if values.dtype.kind in "OUT" and len(values) and isinstance(values.flat[0], str):
        return per_value(values, lambda u: int(u[:4]) * 12 + int(u[5:7]) - 1, np.int64)
    months = values.astype("datetime64[M]").astype(np.int64)
    return months + 1970 * 12


@dataclass
class Panel:
    """Per-employee period histories as arrays of shape (employees, periods).

    Attributes
    ----------
    employee_ids : (n,) int64, sorted
    predikat, work, behavior : (n, m) float, ordinal scores, NaN where not evaluated
    values : (n, m, 7) float, the BerAKHLAK ratings in `VALUE_COLUMNS` order
    achievement : (n, m) float, mean realisation / pro-rated target ratio, NaN if none
    output : (n, m) float, realised over pro-rated target summed across the kuantitas and
        biaya indicators (large targets weigh more: their rounding matters less), NaN if none
    quality : (n, m) float, mean realisation / target of the kualitas and waktu indicators
    work_days, present_days, late_days : (n, m) float, attendance summed over the period
    jpm, max_gap, gap_count, balance : (n, m) float, latest assessment as of each period's
        end; balance is the mean level minus standard, each item clipped to [-2, 1]
    jp : (n, m) float, JP of training completed within each period
    hire_month : (n,) float month ordinal; grade : (n,) float rank
    rater : (n, m) float, id of the rater of each evaluation (NaN when unknown)
    rater_ids : (k,) sorted ids of the raters in `rater_stats`; rater_count, rater_work,
        rater_behavior, rater_poor : (k, m) float, per rater and period: evaluations given and
        the sums of their work and behaviour scores and of poor predikat; rater_output_share,
        rater_output_people : (k, m) float, over the people rated with pro-rated indicators,
        the sum of each one's realised / yearly target on them, and their number
    activity_months : (n, m) float, months of the period with at least one activity-log entry
    peer360 : (n, m) float, mean BerAKHLAK score of the 360 answers of the peer and
        subordinate groups that reach the anonymity threshold (NaN when none is shown)
    actions_reviewed, actions_done : (n, m) float, agreed dialogue actions reviewed within
        the period, and how many of them were done
    """

    axis: PeriodAxis
    employee_ids: np.ndarray
    predikat: np.ndarray
    work: np.ndarray
    behavior: np.ndarray
    values: np.ndarray
    achievement: np.ndarray
    output: np.ndarray
    quality: np.ndarray
    work_days: np.ndarray
    present_days: np.ndarray
    late_days: np.ndarray
    jpm: np.ndarray
    max_gap: np.ndarray
    gap_count: np.ndarray
    balance: np.ndarray
    jp: np.ndarray
    hire_month: np.ndarray
    grade: np.ndarray
    rater: np.ndarray
    rater_ids: np.ndarray
    rater_count: np.ndarray
    rater_work: np.ndarray
    rater_behavior: np.ndarray
    rater_poor: np.ndarray
    rater_output_share: np.ndarray
    rater_output_people: np.ndarray
    activity_months: np.ndarray | None = None
    peer360: np.ndarray | None = None
    actions_reviewed: np.ndarray | None = None
    actions_done: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.employee_ids), self.axis.length)


def _empty(shape: tuple[int, ...], fill: float = np.nan) -> np.ndarray:
    return np.full(shape, fill, dtype=np.float64)


def _rows(employee_ids: np.ndarray, column: np.ndarray) -> np.ndarray:
    """Positions of `column`'s employee ids in the sorted `employee_ids`; -1 if absent."""
    column = np.asarray(column, dtype=np.int64)
    positions = np.searchsorted(employee_ids, column)
    positions = np.minimum(positions, max(len(employee_ids) - 1, 0))
    found = (employee_ids[positions] == column) if len(employee_ids) else np.zeros(0, bool)
    return np.where(found, positions, -1)


def _scores(column: np.ndarray, table: dict[str, float]) -> np.ndarray:
    """Map enum strings (or None) to their ordinal score; NaN for anything else."""
    return per_value(column, lambda code: table.get(str(code), np.nan), np.float64)


def _periods(axis: PeriodAxis, columns: Columns) -> np.ndarray:
    """Axis position of each row's period: read as such (`period_index`) or from its code."""
    if "period_index" in columns:
        return np.asarray(columns["period_index"], dtype=np.int64)
    return axis.index_of_codes(columns["period"])


def _scored(columns: Columns, name: str, keep: np.ndarray, table: dict[str, float]) -> np.ndarray:
    """Scores of the kept rows of column `name`: read as numbers (a coded read) or mapped."""
    column = np.asarray(columns[name])[keep]
    if "period_index" in columns:
        return column.astype(np.float64)  # None (unknown) becomes NaN, as `_scores` gives
    return _scores(column, table)


def _place(rows: np.ndarray, cols: np.ndarray, m: int) -> np.ndarray:
    return (rows >= 0) & (cols >= 0) & (cols < m)


def build_panel(
    axis: PeriodAxis,
    employees: Columns,
    evaluations: Columns,
    achievements: Columns | None = None,
    attendance: Columns | None = None,
    assessments: Columns | None = None,
    enrolments: Columns | None = None,
    rater_stats: Columns | None = None,
    activity: Columns | None = None,
    feedback360: Columns | None = None,
    dialogue_actions: Columns | None = None,
    min_group_answers: int = DEFAULT_MIN_GROUP_ANSWERS,
) -> Panel:
    """Build the panel of the `employees` over `axis` from column arrays.

    Parameters
    ----------
    employees : employee_id, hire_date (date or NaT), grade (str or None)
    evaluations : employee_id, period, predikat, work_result_rating, behavior_rating and the
        seven `behavior_<value>` columns (enum strings, None when missing); or, read coded,
        `period_index` (the axis position) instead of period and the scores themselves
        (`PREDIKAT_SCORE`, `RATING_SCORE`; None where unknown)
    achievements : employee_id, period, aspect, value, target_value (one row per realised
        indicator; kuantitas and biaya targets are yearly and pro-rated per period); or,
        read coded, `period_index` and `pro_rated` (1 for kuantitas and biaya) instead
    attendance : employee_id, month ("YYYY-MM"), work_days, present_days, late_days; or,
        read coded, `month_ordinal` (year * 12 + month - 1) instead of month
    assessments : employee_id, assessed_on, level, required_level (one row per competency)
    enrolments : employee_id, end_date, jp (completed programmes only)
    rater_stats : rater_id, period, ratings, work_sum, behavior_sum, poor_sum and (optional)
        output_share_sum, output_people: what each rater of these employees gave everyone
        they rated in each period, and what those people realised on their pro-rated
        indicators (see `repositories.risk_history.rater_stats_statement`); or, read coded,
        `period_index` instead of period
    activity : employee_id, activity_date (one row per activity-log entry)
    feedback360 : employee_id, period, rater_group, round_id and the seven `behavior_<value>`
        columns (one row per answer of a peer or subordinate; read coded, the ratings come
        as their scores, NaN where unknown)
    dialogue_actions : employee_id, reviewed_at (date or datetime text), done
    min_group_answers : the configured 360 anonymity threshold
        (KINERJA_FEEDBACK_MIN_GROUP_ANSWERS); a smaller group is not read (never below 3)
    """
    order = np.argsort(np.asarray(employees["employee_id"], dtype=np.int64), kind="stable")
    panel = _empty_panel(axis, np.asarray(employees["employee_id"], dtype=np.int64)[order])
    panel.hire_month = _hire_months(employees, order)
    panel.grade = _grades(np.asarray(employees["grade"], dtype=object))[order]
    _fill_evaluations(panel, evaluations)
    if achievements is not None:
        _fill_achievements(panel, achievements)
    if attendance is not None:
        _fill_attendance(panel, attendance)
    if assessments is not None:
        _fill_assessments(panel, assessments)
    if enrolments is not None:
        _fill_enrolments(panel, enrolments)
    if rater_stats is not None:
        _fill_rater_stats(panel, rater_stats)
    fill_signals(panel, activity, feedback360, dialogue_actions, min_group_answers)
    return panel


def _empty_panel(axis: PeriodAxis, ids: np.ndarray) -> Panel:
    """A panel of `ids` with nothing known: NaN ratings, zero counts, no raters."""
    n, m = len(ids), axis.length
    unknown = {name: _empty((n, m)) for name in _UNKNOWN}
    zeros = {name: _empty((n, m), 0.0) for name in _COUNTS}
    raters = {name: _empty((0, m), 0.0) for name in _RATER_SUMS}
    return Panel(
        axis=axis,
        employee_ids=ids,
        values=_empty((n, m, len(VALUE_COLUMNS))),
        hire_month=_empty(n),
        grade=_empty(n),
        rater_ids=np.empty(0, dtype=np.int64),
        **unknown,
        **zeros,
        **raters,
    )


_UNKNOWN = (
    "predikat", "work", "behavior", "achievement", "output", "quality", "jpm", "max_gap",
    "gap_count", "balance", "rater",
)  # fmt: skip
_COUNTS = ("work_days", "present_days", "late_days", "jp")
#: Panel attribute <- rater_stats column; the output sums are optional in the input.
_RATER_SUMS = {
    "rater_count": "ratings",
    "rater_work": "work_sum",
    "rater_behavior": "behavior_sum",
    "rater_poor": "poor_sum",
    "rater_output_share": "output_share_sum",
    "rater_output_people": "output_people",
}


def _grades(column: np.ndarray) -> np.ndarray:
    return per_value(column, lambda code: grade_rank(str(code)), np.float64)


def _hire_months(employees: Columns, order: np.ndarray) -> np.ndarray:
    hired = np.asarray(employees["hire_date"], dtype="datetime64[D]")[order]
    result = _empty(len(hired))
    known = ~np.isnat(hired)
    result[known] = month_ordinals(hired[known])
    return result


def _fill_evaluations(panel: Panel, evaluations: Columns) -> None:
    if not len(evaluations["employee_id"]):
        return
    rows = _rows(panel.employee_ids, evaluations["employee_id"])
    cols = _periods(panel.axis, evaluations)
    keep = _place(rows, cols, panel.axis.length)
    r, c = rows[keep], cols[keep]
    panel.predikat[r, c] = _scored(evaluations, "predikat", keep, PREDIKAT_SCORE)
    panel.work[r, c] = _scored(evaluations, "work_result_rating", keep, RATING_SCORE)
    panel.behavior[r, c] = _scored(evaluations, "behavior_rating", keep, RATING_SCORE)
    for k, column in enumerate(VALUE_COLUMNS):
        panel.values[r, c, k] = _scored(evaluations, column, keep, RATING_SCORE)
    if "rater_id" in evaluations:
        raters = np.asarray(evaluations["rater_id"])[keep]
        panel.rater[r, c] = raters.astype(np.float64)  # None (or NaN, read coded) is NaN


def _fill_rater_stats(panel: Panel, stats: Columns) -> None:
    panel.rater_ids = np.unique(np.asarray(stats["rater_id"], dtype=np.int64))
    shape = (len(panel.rater_ids), panel.axis.length)
    rows = _rows(panel.rater_ids, stats["rater_id"])
    cols = _periods(panel.axis, stats)
    keep = _place(rows, cols, panel.axis.length)
    for name, column in _RATER_SUMS.items():
        values = np.zeros(shape)
        if column in stats:
            found = np.nan_to_num(np.asarray(stats[column], dtype=np.float64))
            values = sum_at(shape, (rows[keep], cols[keep]), found[keep])
        setattr(panel, name, values)


def _fill_achievements(panel: Panel, achievements: Columns) -> None:
    rows = _rows(panel.employee_ids, achievements["employee_id"])
    cols = _periods(panel.axis, achievements)
    value = np.asarray(achievements["value"], dtype=np.float64)
    if "pro_rated" in achievements:
        pro_rated = np.asarray(achievements["pro_rated"], dtype=np.int64) == 1
    else:
        pro_rated = per_value(achievements["aspect"], lambda a: str(a) in PRO_RATED_ASPECTS, bool)
    target = np.asarray(achievements["target_value"], dtype=np.float64)
    target = target * np.where(pro_rated, 1.0 / panel.axis.per_year, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.clip(value / target, *ACHIEVEMENT_CLIP)
    keep = _place(rows, cols, panel.axis.length) & np.isfinite(ratio) & (target > 0)
    at = (rows[keep], cols[keep])
    panel.achievement[:] = _mean_at(panel.achievement.shape, at, ratio[keep])
    level = ~pro_rated[keep]
    panel.quality[:] = _mean_at(panel.quality.shape, _where(at, level), ratio[keep][level])
    realised = sum_at(panel.output.shape, _where(at, ~level), value[keep][~level])
    planned = sum_at(panel.output.shape, _where(at, ~level), target[keep][~level])
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = np.clip(realised / planned, *ACHIEVEMENT_CLIP)
    panel.output[:] = np.where(planned > 0, pooled, np.nan)


def _where(at: tuple[np.ndarray, np.ndarray], mask: np.ndarray) -> tuple[np.ndarray, ...]:
    return at[0][mask], at[1][mask]


def sum_at(shape: tuple[int, int], at: tuple[np.ndarray, ...], values: np.ndarray) -> np.ndarray:
    """(shape) sums of `values` landing in each cell `at` (rows, columns); 0 where none.

    What `np.add.at` into zeros gives, to the bit: `np.bincount` also adds each value to its
    cell in the values' order, starting from 0.0, in about a third of the time.
    """
    cells = np.ravel_multi_index(at, shape) if len(values) else np.empty(0, dtype=np.intp)
    size = shape[0] * shape[1]
    weights = np.asarray(values, dtype=np.float64)
    return np.bincount(cells, weights=weights, minlength=size).reshape(shape)


def _mean_at(shape: tuple[int, int], at: tuple[np.ndarray, ...], values: np.ndarray) -> np.ndarray:
    """Mean of `values` landing in each cell; NaN where none lands."""
    total, count = sum_at(shape, at, values), sum_at(shape, at, np.ones(len(values)))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, total / count, np.nan)


def _fill_attendance(panel: Panel, attendance: Columns) -> None:
    rows = _rows(panel.employee_ids, attendance["employee_id"])
    if "month_ordinal" in attendance:  # read coded
        months = np.asarray(attendance["month_ordinal"], dtype=np.int64)
    else:
        months = month_ordinals(np.asarray(attendance["month"]))
    cols = panel.axis.index_of_months(months)
    keep = _place(rows, cols, panel.axis.length)
    for name in ("work_days", "present_days", "late_days"):
        values = np.asarray(attendance[name], dtype=np.float64)[keep]
        setattr(panel, name, sum_at(panel.shape, (rows[keep], cols[keep]), values))  # was 0


def _fill_assessments(panel: Panel, assessments: Columns) -> None:
    """Place each assessment event (employee, date) in its period and carry it forward."""
    emp = np.asarray(assessments["employee_id"], dtype=np.int64)
    day = np.asarray(assessments["assessed_on"], dtype="datetime64[D]")
    if not len(emp):
        return
    level = np.asarray(assessments["level"], dtype=np.float64)
    required = np.asarray(assessments["required_level"], dtype=np.float64)
    if not _in_order(emp, day):
        order = np.lexsort((day, emp))
        emp, day, level, required = emp[order], day[order], level[order], required[order]
    starts = np.flatnonzero(np.r_[True, (emp[1:] != emp[:-1]) | (day[1:] != day[:-1])])
    gap = np.maximum(required - level, 0.0)
    jpm = (
        100.0
        * np.add.reduceat(np.minimum(level, required), starts)
        / np.add.reduceat(required, starts)
    )
    events = (emp[starts], day[starts])
    rows = _rows(panel.employee_ids, events[0])
    cols = np.maximum(panel.axis.index_of_months(month_ordinals(events[1])), 0)
    keep = _place(rows, cols, panel.axis.length)
    panel.jpm[rows[keep], cols[keep]] = jpm[keep]
    panel.max_gap[rows[keep], cols[keep]] = np.maximum.reduceat(gap, starts)[keep]
    panel.gap_count[rows[keep], cols[keep]] = np.add.reduceat((gap > 0) * 1.0, starts)[keep]
    surplus = np.clip(level - required, *BALANCE_CLIP)
    items = np.diff(np.r_[starts, len(emp)])
    balance = np.add.reduceat(surplus, starts) / items
    panel.balance[rows[keep], cols[keep]] = balance[keep]
    for name in ("jpm", "max_gap", "gap_count", "balance"):
        setattr(panel, name, forward_fill(getattr(panel, name)))


def _in_order(emp: np.ndarray, day: np.ndarray) -> bool:
    """Whether the rows are sorted by employee, then day: then the (stable) `np.lexsort`
    of `_fill_assessments` leaves them as they are, and is not needed. The coded read gives
    them so (by employee and assessment), and checking took 0.03 us per employee where the
    sort took 1.2 (630,000 levels of 25,000 employees)."""
    same = emp[1:] == emp[:-1]
    later = day[1:] >= day[:-1]  # False next to NaT: then sorted
    return bool(((emp[1:] > emp[:-1]) | (same & later)).all())


def _fill_enrolments(panel: Panel, enrolments: Columns) -> None:
    rows = _rows(panel.employee_ids, enrolments["employee_id"])
    ended = np.asarray(enrolments["end_date"], dtype="datetime64[D]")
    cols = panel.axis.index_of_months(month_ordinals(ended)) if len(ended) else rows
    keep = _place(rows, cols, panel.axis.length)
    jp = np.asarray(enrolments["jp"], dtype=np.float64)[keep]
    panel.jp = sum_at(panel.shape, (rows[keep], cols[keep]), np.nan_to_num(jp))  # was 0


def forward_fill(array: np.ndarray) -> np.ndarray:
    """Carry the last non-NaN value of each row forward along the period axis."""
    valid = ~np.isnan(array)
    index = np.where(valid, np.arange(array.shape[1]), 0)
    np.maximum.accumulate(index, axis=1, out=index)
    filled = np.take_along_axis(array, index, axis=1)
    return filled
