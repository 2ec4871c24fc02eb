"""Feature values on hand-made histories: leakage guard, serving = training, semantics."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from service.domain.entities import BerakhlakValue
from service.features import FEATURE_NAMES
from service.features import Histories
from service.features import PeriodAxis
from service.features import build_panel
from service.features import employee_features
from service.features import feature_frame
from service.features import labelled_rows
from service.features import panel_from_histories
from service.features.catalogue import grade_rank
from service.features.distinct import distinct_sorted
from service.features.panel import sum_at

QUARTERS = [f"{y}-Q{q}" for y in (2023, 2024, 2025) for q in (1, 2, 3, 4)][1:-1]  # 10, > lookback
PREDIKATS = ["sangat_baik", "baik", "baik", "baik", "butuh_perbaikan", "kurang", "sangat_kurang"]
RATINGS = ["di_atas_ekspektasi", "sesuai_ekspektasi", "di_bawah_ekspektasi"]
YEAR = ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
VALUES = [f"behavior_{v.value}" for v in BerakhlakValue]


def evaluation(employee_id: int, period: str, predikat: str = "baik", **ratings: str) -> dict:
    row = {
        "employee_id": employee_id,
        "period": period,
        "predikat": predikat,
        "work_result_rating": ratings.pop("work", "sesuai_ekspektasi"),
        "behavior_rating": ratings.pop("behavior", "sesuai_ekspektasi"),
    }
    return row | {name: ratings.get(name, "sesuai_ekspektasi") for name in VALUES}


def random_histories(seed: int, employees: int = 12) -> Histories:
    """Full random histories over QUARTERS, including gaps (unevaluated quarters)."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, employees + 1) * 7
    evaluations, achievements, attendance = [], [], []
    for e in ids:
        for q in QUARTERS:
            if rng.random() < 0.15:
                continue
            ratings = {name: RATINGS[rng.integers(3)] for name in VALUES}
            row = evaluation(int(e), q, PREDIKATS[rng.integers(len(PREDIKATS))], **ratings)
            evaluations.append(row | {"rater_id": int(rng.integers(1, 4))})
            for aspect in ("kuantitas", "kualitas"):
                achievements.append(
                    {
                        "employee_id": e,
                        "period": q,
                        "aspect": aspect,
                        "value": float(rng.uniform(1, 30)),
                        "target_value": float(rng.uniform(10, 100)),
                    }
                )
            year, quarter = int(q[:4]), int(q[-1])
            for month in range(3 * quarter - 2, 3 * quarter + 1):
                work = int(rng.integers(18, 23))
                present = int(rng.integers(10, work + 1))
                attendance.append(
                    {
                        "employee_id": e,
                        "month": f"{year}-{month:02d}",
                        "work_days": work,
                        "present_days": present,
                        "late_days": int(rng.integers(0, present + 1)),
                    }
                )
    evaluated = pd.DataFrame(evaluations)
    days = pd.to_datetime("2023-06-01") + pd.to_timedelta(rng.integers(0, 800, 40), unit="D")
    return Histories(
        employees=pd.DataFrame(
            {
                "employee_id": ids,
                "hire_date": [date(2000 + int(i % 20), 1 + int(i % 12), 1) for i in ids],
                "grade": [["II/a", "III/b", "IV/e", None][int(i) % 4] for i in ids],
            }
        ),
        evaluations=evaluated,
        achievements=pd.DataFrame(achievements),
        rater_stats=rater_stats(evaluated, pd.DataFrame(achievements)),
        attendance=pd.DataFrame(attendance),
        assessments=pd.DataFrame(
            {
                "employee_id": rng.choice(ids, 40),
                "assessed_on": days.date,
                "level": rng.integers(1, 6, 40).astype(float),
                "required_level": rng.integers(1, 6, 40).astype(float),
            }
        ),
        enrolments=pd.DataFrame(
            {"employee_id": rng.choice(ids, 20), "end_date": days[:20].date, "jp": 10.0}
        ),
    )


def rater_stats(evaluations: pd.DataFrame, achievements: pd.DataFrame) -> pd.DataFrame:
    """What each rater gave per period, and their people's output, as the database computes."""
    score = {"di_atas_ekspektasi": 1, "sesuai_ekspektasi": 0, "di_bawah_ekspektasi": -1}
    frame = evaluations.assign(
        work=evaluations["work_result_rating"].map(score),
        behavior=evaluations["behavior_rating"].map(score),
        poor=evaluations["predikat"].isin(["butuh_perbaikan", "kurang", "sangat_kurang"]),
    )
    grouped = frame.groupby(["rater_id", "period"])
    given = grouped.agg(
        ratings=("work", "size"),
        work_sum=("work", "sum"),
        behavior_sum=("behavior", "sum"),
        poor_sum=("poor", "sum"),
    ).reset_index()
    output = achievements[achievements["aspect"] == "kuantitas"].merge(
        evaluations[["employee_id", "period", "rater_id"]], on=["employee_id", "period"]
    )
    person = output.groupby(["rater_id", "period", "employee_id"])[["value", "target_value"]]
    share = person.sum().eval("value / target_value").rename("share").reset_index()
    sums = share.groupby(["rater_id", "period"]).agg(
        output_share_sum=("share", "sum"), output_people=("share", "size")
    )
    return given.merge(sums.reset_index(), on=["rater_id", "period"], how="left")


def _until(histories: Histories, last: str) -> Histories:
    """Drop every row dated after quarter `last` (the data known at its end)."""
    end = pd.Period(last.replace("-", ""), freq="Q").end_time.date()
    month_end = f"{end.year}-{end.month:02d}"
    return Histories(
        histories.employees,
        histories.evaluations[histories.evaluations["period"] <= last],
        histories.achievements[histories.achievements["period"] <= last],
        histories.attendance[histories.attendance["month"] <= month_end],
        histories.assessments[pd.to_datetime(histories.assessments["assessed_on"]).dt.date <= end],
        histories.enrolments[pd.to_datetime(histories.enrolments["end_date"]).dt.date <= end],
        histories.rater_stats[histories.rater_stats["period"] <= last],
    )


def _features(histories: Histories, t: int) -> np.ndarray:
    panel = panel_from_histories(histories, PeriodAxis.spanning(QUARTERS[0], QUARTERS[-1]))
    return feature_frame(panel, t)[list(FEATURE_NAMES)].to_numpy()


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("t", [2, 5, 8])
def test_later_data_does_not_change_features_of_period_t(seed: int, t: int) -> None:
    full = random_histories(seed)
    known = _until(full, QUARTERS[t])
    np.testing.assert_array_equal(_features(full, t), _features(known, t))


def test_changing_the_next_period_changes_only_later_features() -> None:
    histories = random_histories(4)
    changed = histories.evaluations.copy()
    changed.loc[changed["period"] == QUARTERS[4], "predikat"] = "sangat_kurang"
    altered = Histories(**{**histories.__dict__, "evaluations": changed})
    np.testing.assert_array_equal(_features(histories, 3), _features(altered, 3))
    assert not np.array_equal(_features(histories, 4), _features(altered, 4), equal_nan=True)


@pytest.mark.parametrize("seed", [5, 6])
def test_serving_row_equals_training_row(seed: int) -> None:
    histories = random_histories(seed)
    batch = _features(histories, len(QUARTERS) - 1)
    for i, person in enumerate(histories.employees.to_dict("records")):
        mine = {
            name: frame[frame["employee_id"] == person["employee_id"]].to_dict("records")
            for name, frame in histories.__dict__.items()
            if name not in ("employees", "rater_stats")
        }
        latest = max(mine["evaluations"], key=lambda row: row["period"])["rater_id"]
        stats = histories.rater_stats
        mine["rater_stats"] = stats[stats["rater_id"] == latest].to_dict("records")
        row = employee_features(QUARTERS[-1], person, **mine)
        np.testing.assert_allclose(row[0], batch[i], equal_nan=True)


def _one(evaluations: list[dict], **frames: list[dict]) -> dict[str, float]:
    histories = Histories(
        employees=pd.DataFrame(
            {"employee_id": [1], "hire_date": [date(2015, 1, 1)], "grade": ["III/a"]}
        ),
        evaluations=pd.DataFrame(evaluations),
        **{name: pd.DataFrame(rows) for name, rows in frames.items()},
    )
    panel = panel_from_histories(histories, PeriodAxis.spanning(YEAR[0], YEAR[3]))
    return feature_frame(panel, 3).iloc[0].to_dict()


@pytest.mark.parametrize(
    ("predikats", "streak", "share", "since"),
    [
        (["baik", "baik", "butuh_perbaikan", "kurang"], 2, 0.5, 0),
        (["kurang", "baik", "sangat_kurang", None], 1, 2 / 3, 1),
        (["sangat_baik", "butuh_perbaikan", None, None], 1, 0.5, 2),
        (["baik", "baik", "baik", "baik"], 0, 0.0, 0),
    ],
)
def test_poor_history_features(
    predikats: list[str | None], streak: int, share: float, since: int
) -> None:
    rows = [evaluation(1, q, p) for q, p in zip(YEAR, predikats, strict=True) if p is not None]
    found = _one(rows)
    assert found["poor_streak"] == streak
    assert found["poor_share_window"] == pytest.approx(share)
    assert found["periods_since_evaluation"] == since
    assert found["periods_evaluated"] == len(rows)


def test_achievement_prorates_kuantitas_but_not_kualitas() -> None:
    rows = [evaluation(1, q) for q in YEAR]
    achievements = [
        {"employee_id": 1, "period": YEAR[3], "aspect": "kuantitas", "value": 5.0,
         "target_value": 40.0},
        {"employee_id": 1, "period": YEAR[3], "aspect": "kualitas", "value": 90.0,
         "target_value": 100.0},
    ]  # fmt: skip
    found = _one(rows, achievements=achievements)
    assert found["achievement_last"] == pytest.approx((5 / 10 + 90 / 100) / 2)


def test_attendance_competency_and_training_features() -> None:
    rows = [evaluation(1, q) for q in YEAR]
    attendance = [
        {
            "employee_id": 1,
            "month": "2024-10",
            "work_days": 20,
            "present_days": 15,
            "late_days": 3,
        },
        {
            "employee_id": 1,
            "month": "2024-11",
            "work_days": 20,
            "present_days": 20,
            "late_days": 0,
        },
    ]
    assessments = [
        {"employee_id": 1, "assessed_on": date(2024, 2, 1), "level": 2.0, "required_level": 3.0},
        {"employee_id": 1, "assessed_on": date(2024, 2, 1), "level": 4.0, "required_level": 3.0},
        {"employee_id": 1, "assessed_on": date(2024, 2, 1), "level": 1.0, "required_level": 3.0},
    ]
    enrolments = [
        {"employee_id": 1, "end_date": date(2024, 3, 1), "jp": 12.0},
        {"employee_id": 1, "end_date": date(2023, 12, 1), "jp": 30.0},
    ]
    found = _one(rows, attendance=attendance, assessments=assessments, enrolments=enrolments)
    assert found["attendance_rate_last"] == pytest.approx(35 / 40)
    assert found["late_rate_last"] == pytest.approx(3 / 35)
    assert found["jpm"] == pytest.approx(100 * (2 + 3 + 1) / 9)
    assert (found["max_gap"], found["gap_count"]) == (2.0, 2.0)
    assert found["jp_last_year"] == 12.0
    assert found["tenure_years"] == pytest.approx((12 * 9 + 11) / 12)  # Jan 2015 to Dec 2024


@pytest.mark.parametrize(
    ("grade", "rank"),
    [("I/a", 1.0), ("II/a", 6.0), ("III/c", 13.0), ("IV/e", 20.0), ("V/a", None), (None, None)],
)
def test_grade_rank(grade: str | None, rank: float | None) -> None:
    found = grade_rank(grade)
    assert (np.isnan(found) and rank is None) or found == rank


def test_labelled_rows_label_the_next_period_and_need_two_evaluations() -> None:
    rows = [
        evaluation(1, QUARTERS[0], "baik"),
        evaluation(1, QUARTERS[1], "baik"),
        evaluation(1, QUARTERS[2], "kurang"),
        evaluation(1, QUARTERS[3], "baik"),
    ]
    histories = Histories(
        employees=pd.DataFrame({"employee_id": [1], "hire_date": [None], "grade": [None]}),
        evaluations=pd.DataFrame(rows),
    )
    panel = panel_from_histories(histories, PeriodAxis.spanning(QUARTERS[0], QUARTERS[3]))
    found = labelled_rows(panel)
    assert found[["period", "label"]].values.tolist() == [[QUARTERS[1], 1], [QUARTERS[2], 0]]


def test_rater_features_use_the_latest_rater_over_the_lookback() -> None:
    rows = [evaluation(1, q) | {"rater_id": r} for q, r in zip(YEAR, (5, 5, 9, 9), strict=True)]
    stats = [
        {"rater_id": 5, "period": YEAR[3], "ratings": 10, "work_sum": 10, "behavior_sum": 10,
         "poor_sum": 0},
        {"rater_id": 9, "period": YEAR[1], "ratings": 4, "work_sum": -2, "behavior_sum": 1,
         "poor_sum": 1},
        {"rater_id": 9, "period": YEAR[3], "ratings": 6, "work_sum": -3, "behavior_sum": 0,
         "poor_sum": 2},
    ]  # fmt: skip
    found = _one(rows, rater_stats=stats)
    assert found["rater_work_mean_lookback"] == pytest.approx(-5 / 10)
    assert found["rater_behavior_mean_lookback"] == pytest.approx(1 / 10)
    assert found["rater_poor_share_lookback"] == pytest.approx(3 / 10)


def test_sum_at_adds_as_add_at_into_zeros_to_the_bit() -> None:
    """Cells summed by `np.bincount` equal `np.add.at` bit for bit: many values a cell, of
    very different sizes (the order of the additions shows), NaN, -0.0, infinity, no value."""
    rng = np.random.default_rng(7)
    shape, n = (40, 9), 5_000
    at = (rng.integers(0, 40, n), rng.integers(0, 8, n))  # the last column gets nothing
    values = rng.normal(size=n) * 10.0 ** rng.integers(-12, 12, n)
    values[:3] = [np.nan, -0.0, np.inf]
    expected = np.zeros(shape)
    np.add.at(expected, at, values)
    found = sum_at(shape, at, values)
    assert found.shape == shape and found.dtype == np.float64
    assert np.array_equal(found, expected, equal_nan=True)
    assert np.array_equal(np.signbit(found), np.signbit(expected))
    assert not found[:, 8].any()
    empty = (np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp))
    assert np.array_equal(sum_at(shape, empty, np.empty(0)), np.zeros(shape))


def test_distinct_sorted_is_numpys_unique() -> None:
    rng = np.random.default_rng(3)
    shuffled = rng.integers(-50, 50, 2_000)
    for values in (shuffled, np.sort(shuffled), shuffled[:1], shuffled[:0]):
        assert np.array_equal(distinct_sorted(values), np.unique(values))


def test_assessments_in_any_order_give_the_panel_of_sorted_ones() -> None:
    """Rows sorted by employee and day skip the sort (`_in_order`); any other order is sorted
    first, and both give the same arrays, to the bit."""
    rng = np.random.default_rng(11)
    n = 600
    rows = {
        "employee_id": rng.integers(1, 6, n),
        "assessed_on": np.datetime64("2023-10-01") + rng.integers(0, 800, n // 6).repeat(6),
        "level": rng.integers(4, 20, n) / 4.0,
        "required_level": rng.integers(1, 5, n).astype(float),
    }
    order = np.lexsort((rows["assessed_on"], rows["employee_id"]))
    axis = PeriodAxis.spanning("2024-Q1", "2025-Q4")
    employees = {"employee_id": np.arange(1, 6), "hire_date": [None] * 5, "grade": [None] * 5}
    evaluations = {"employee_id": np.empty(0, dtype=np.int64), "period": np.empty(0, object)}

    def panel(assessments: dict) -> object:
        return build_panel(axis, employees, evaluations, assessments=assessments)

    shuffled, ordered = panel(rows), panel({k: np.asarray(v)[order] for k, v in rows.items()})
    for name in ("jpm", "max_gap", "gap_count", "balance"):
        assert getattr(shuffled, name).tobytes() == getattr(ordered, name).tobytes(), name
    assert not np.isnan(ordered.jpm).all()
