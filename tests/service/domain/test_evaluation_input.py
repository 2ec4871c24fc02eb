"""parse_evaluation: every field, every kind of error, all errors at once; the column mapping."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Evaluation
from service.db.models import Period as PeriodRow
from service.domain.entities import BerakhlakValue
from service.domain.entities import EvaluationKind
from service.domain.entities import PeriodKind
from service.domain.entities import Predikat
from service.domain.entities import PredikatSource
from service.domain.entities import Rating
from service.domain.errors import Invalid
from service.domain.evaluation_input import FEEDBACK_MAX_CHARS
from service.domain.evaluation_input import EvaluationInput
from service.domain.evaluation_input import ensure_period
from service.domain.evaluation_input import ensure_periods
from service.domain.evaluation_input import evaluation_columns
from service.domain.evaluation_input import parse_evaluation
from service.domain.periods import parse_period
from service.domain.periods import period_of
from service.domain.periods import today_in_indonesia
from tests.factories import make_employee

ABOVE = "di_atas_ekspektasi"
MEETS = "sesuai_ekspektasi"
BELOW = "di_bawah_ekspektasi"
ALLOWED_RATINGS = "di_atas_ekspektasi, sesuai_ekspektasi, di_bawah_ekspektasi"
SEVEN_VALUES = [
    "berorientasi_pelayanan",
    "akuntabel",
    "kompeten",
    "harmonis",
    "loyal",
    "adaptif",
    "kolaboratif",
]


def body(**changes: Any) -> dict[str, Any]:
    """A valid request body with some fields changed; a value of ... removes the field."""
    data: dict[str, Any] = {
        "period": "2025-Q2",
        "work_result_rating": MEETS,
        "behavior_rating": MEETS,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not ...}


def errors_of(data: Any, row: int | None = None) -> dict[str, str]:
    with pytest.raises(Invalid) as caught:
        parse_evaluation(data, row=row)
    return {error.field: error.message for error in caught.value.errors}


# --- valid input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "kind", "period_kind"),
    [
        ("2025", EvaluationKind.TAHUNAN, PeriodKind.YEAR),
        ("2025-Q4", EvaluationKind.PERIODIK, PeriodKind.QUARTER),
        ("2025-03", EvaluationKind.PERIODIK, PeriodKind.MONTH),
    ],
)
def test_kind_follows_the_period(
    period: str, kind: EvaluationKind, period_kind: PeriodKind
) -> None:
    parsed = parse_evaluation(body(period=period))

    assert parsed.period.code == period
    assert parsed.period.kind is period_kind
    assert parsed.kind is kind


# domain.md 3.6, read row by row (rating hasil kerja, rating perilaku kerja, predikat).
@pytest.mark.parametrize(
    ("work", "behavior", "predikat"),
    [
        (ABOVE, BELOW, "kurang"),
        (ABOVE, MEETS, "baik"),
        (ABOVE, ABOVE, "sangat_baik"),
        (MEETS, BELOW, "kurang"),
        (MEETS, MEETS, "baik"),
        (MEETS, ABOVE, "baik"),
        (BELOW, BELOW, "sangat_kurang"),
        (BELOW, MEETS, "butuh_perbaikan"),
        (BELOW, ABOVE, "butuh_perbaikan"),
    ],
)
def test_predikat_is_computed_from_the_two_ratings(
    work: str, behavior: str, predikat: str
) -> None:
    parsed = parse_evaluation(body(work_result_rating=work, behavior_rating=behavior))

    assert parsed.work_result_rating is Rating(work)
    assert parsed.behavior_rating is Rating(behavior)
    assert parsed.predikat is Predikat(predikat)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (..., {}),
        (None, {}),
        ({}, {}),
        ({"akuntabel": ABOVE}, {BerakhlakValue.AKUNTABEL: Rating.DI_ATAS_EKSPEKTASI}),
        (
            {"loyal": BELOW, "adaptif": None},
            {BerakhlakValue.LOYAL: Rating.DI_BAWAH_EKSPEKTASI},
        ),
        (
            {value: MEETS for value in SEVEN_VALUES},
            {BerakhlakValue(value): Rating.SESUAI_EKSPEKTASI for value in SEVEN_VALUES},
        ),
        ({BerakhlakValue.KOMPETEN: Rating.DI_ATAS_EKSPEKTASI}, {"kompeten": ABOVE}),
    ],
)
def test_behavior_ratings_accept_any_subset_of_the_seven_values(
    given: Any, expected: dict[Any, Any]
) -> None:
    parsed = parse_evaluation(body(behavior_ratings=given))

    assert parsed.behavior_ratings == expected
    assert all(type(key) is BerakhlakValue for key in parsed.behavior_ratings)
    assert all(type(value) is Rating for value in parsed.behavior_ratings.values())


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (..., None),
        (None, None),
        ("", None),
        ("   \n", None),
        ("  Bagus, pertahankan.  ", "Bagus, pertahankan."),
        ("baris satu\nbaris dua\ttab", "baris satu\nbaris dua\ttab"),
        ("windows\r\nmac\rend\r\n", "windows\nmac\nend"),
        ("x" * FEEDBACK_MAX_CHARS, "x" * FEEDBACK_MAX_CHARS),
        ("Kinerja 👍 sangat baik — ✓", "Kinerja 👍 sangat baik — ✓"),
        ("=1+1 is fine in JSON", "=1+1 is fine in JSON"),
    ],
)
def test_feedback_is_optional_trimmed_text(given: Any, expected: str | None) -> None:
    assert parse_evaluation(body(feedback=given)).feedback == expected


def test_accepts_enum_members_as_well_as_their_values() -> None:
    parsed = parse_evaluation(
        body(
            work_result_rating=Rating.DI_ATAS_EKSPEKTASI, behavior_rating=Rating.DI_ATAS_EKSPEKTASI
        )
    )

    assert parsed.predikat is Predikat.SANGAT_BAIK


def test_the_input_is_frozen() -> None:
    parsed = parse_evaluation(body())

    with pytest.raises(AttributeError):
        parsed.feedback = "changed"  # type: ignore[misc]


# --- one bad field at a time ----------------------------------------------------------------

ONE_BAD_FIELD = [
    # (changes, field, message pattern)
    ({"period": ...}, "period", r"^is required: a year \(2025\), a quarter"),
    ({"period": None}, "period", r"^is required"),
    ({"period": ""}, "period", r"got ''$"),
    ({"period": "2025-Q5"}, "period", r"^must be a year .*got '2025-Q5'$"),
    ({"period": "2025-13"}, "period", r"got '2025-13'$"),
    ({"period": "1989"}, "period", r"from 1990 to 2100"),
    ({"period": " 2025"}, "period", r"got ' 2025'$"),
    ({"period": "2025-q1"}, "period", r"got '2025-q1'$"),
    ({"period": 2025}, "period", r"got a number \(2025\)$"),
    ({"period": 2025.0}, "period", r"got a number"),
    ({"period": ["2025"]}, "period", r"got a list"),
    ({"period": {"year": 2025}}, "period", r"got an object"),
    ({"period": True}, "period", r"got true/false"),
    (
        {"work_result_rating": ...},
        "work_result_rating",
        rf"^is required: one of {ALLOWED_RATINGS}$",
    ),
    ({"work_result_rating": None}, "work_result_rating", r"^is required"),
    (
        {"work_result_rating": "baik"},
        "work_result_rating",
        rf"one of {ALLOWED_RATINGS}; got 'baik'",
    ),
    ({"work_result_rating": "DI_ATAS_EKSPEKTASI"}, "work_result_rating", r"got 'DI_ATAS_"),
    ({"work_result_rating": " sesuai_ekspektasi"}, "work_result_rating", r"got ' sesuai"),
    ({"work_result_rating": 2}, "work_result_rating", r"got a number \(2\)"),
    ({"work_result_rating": [MEETS]}, "work_result_rating", r"got a list"),
    ({"behavior_rating": ...}, "behavior_rating", r"^is required"),
    ({"behavior_rating": "sangat_baik"}, "behavior_rating", rf"one of {ALLOWED_RATINGS}"),
    ({"behavior_rating": False}, "behavior_rating", r"got true/false"),
    ({"behavior_ratings": [MEETS]}, "behavior_ratings", r"must be an object .* got a list"),
    ({"behavior_ratings": MEETS}, "behavior_ratings", r"must be an object"),
    ({"behavior_ratings": 7}, "behavior_ratings", r"got a number"),
    (
        {"behavior_ratings": {"jujur": MEETS}},
        "behavior_ratings.jujur",
        r"is not a BerAKHLAK value; use berorientasi_pelayanan, akuntabel, .*kolaboratif$",
    ),
    ({"behavior_ratings": {"Akuntabel": MEETS}}, "behavior_ratings.Akuntabel", r"not a BerAKHLAK"),
    ({"behavior_ratings": {"akuntabel": "baik"}}, "behavior_ratings.akuntabel", r"got 'baik'"),
    ({"behavior_ratings": {"loyal": 3}}, "behavior_ratings.loyal", r"got a number"),
    ({"behavior_ratings": {"loyal": {}}}, "behavior_ratings.loyal", r"got an object"),
    ({"feedback": 5}, "feedback", r"^must be text; got a number \(5\)$"),
    ({"feedback": ["a"]}, "feedback", r"^must be text; got a list"),
    ({"feedback": "x" * 5001}, "feedback", r"^is 5001 characters long; at most 5000"),
    ({"feedback": "a\x00b"}, "feedback", r"U\+0000 at position 2$"),
    ({"feedback": "bell\x07"}, "feedback", r"U\+0007"),
    ({"feedback": "esc\x1b[31m"}, "feedback", r"U\+001B"),
    ({"feedback": "del\x7f"}, "feedback", r"U\+007F"),
    ({"feedback": "c1\x85"}, "feedback", r"U\+0085"),
    ({"feedback": "lone \ud800 surrogate"}, "feedback", r"U\+D800"),
    ({"predikat": "baik"}, "predikat", r"^is not a field of an evaluation; use period, "),
    ({"behaviour_rating": MEETS}, "behaviour_rating", r"is not a field"),
]


@pytest.mark.parametrize(("changes", "field", "pattern"), ONE_BAD_FIELD)
def test_each_bad_field_is_named_with_a_clear_message(
    changes: dict[str, Any], field: str, pattern: str
) -> None:
    anchored = pattern[1:] if pattern.startswith("^") else f".*{pattern}"
    detail = rf"^{re.escape(field)}: {anchored}"

    with pytest.raises(Invalid, match=detail) as caught:
        parse_evaluation(body(**changes))

    assert [error.field for error in caught.value.errors] == [field]


def test_a_period_that_has_not_started_cannot_be_evaluated() -> None:
    """Nobody can be rated for a period before it starts; the current one can (its end is
    when ratings are usually given, and a rater may finish a few days early)."""
    today = today_in_indonesia()
    for kind in PeriodKind:
        current = period_of(today, kind)
        assert parse_evaluation(body(period=current.code)).period == current
        later = current.next().code
        assert errors_of(body(period=later)) == {
            "period": f"{later} has not started yet (it starts on {current.next().starts_on})"
        }
    assert "period" in errors_of(body(period="2100-12"))


@pytest.mark.parametrize("data", [None, [], "period=2025", 42, ("period", "2025")])
def test_a_body_that_is_not_an_object(data: Any) -> None:
    with pytest.raises(Invalid, match=r"^body: must be an object; got ") as caught:
        parse_evaluation(data, row=4)

    assert caught.value.errors[0].row == 4


# --- everything at once ----------------------------------------------------------------------


def test_all_errors_are_reported_together_with_the_row() -> None:
    data = {
        "period": "2025-Q9",
        "work_result_rating": "excellent",
        "behavior_ratings": {"akuntabel": "ok", "jujur": MEETS, "loyal": ABOVE},
        "feedback": 12,
        "extra": True,
    }

    with pytest.raises(Invalid) as caught:
        parse_evaluation(data, row=17)

    fields = sorted(error.field for error in caught.value.errors)
    assert fields == sorted(
        [
            "extra",
            "period",
            "work_result_rating",
            "behavior_rating",
            "behavior_ratings.akuntabel",
            "behavior_ratings.jujur",
            "feedback",
        ]
    )
    assert {error.row for error in caught.value.errors} == {17}
    assert caught.value.status == 422


def test_many_unknown_keys_are_summarised() -> None:
    junk = {f"value_{n}": MEETS for n in range(25)}

    errors = errors_of(body(behavior_ratings=junk))

    unknown = [field for field in errors if field.startswith("behavior_ratings.value_")]
    assert len(unknown) == 10
    assert errors["behavior_ratings"] == "has 15 more unknown keys"


HOSTILE = [
    "x" * 1_000_000,
    "\x00" * 100,
    "'; DROP TABLE evaluations; --",
    "<script>alert(1)</script>",
    "\u202e" + "a" * 50,
    "\ud83d",
    -1,
    10**100,
    float("nan"),
    float("inf"),
    [[[[[["deep"]]]]]],
    {"$gt": ""},
    b"bytes",
    object(),
    set(),
]


@pytest.mark.parametrize("field", ["period", "work_result_rating", "behavior_rating", "feedback"])
@pytest.mark.parametrize("value", HOSTILE, ids=lambda value: type(value).__name__)
def test_hostile_values_give_short_field_errors_never_a_crash(field: str, value: Any) -> None:
    try:
        parse_evaluation(body(**{field: value}))
    except Invalid as exc:
        assert [error.field for error in exc.errors] == [field]
        assert len(exc.errors[0].message) < 300
    else:
        # Only odd-but-storable text may pass, and only as feedback.
        assert field == "feedback" and isinstance(value, str)


@pytest.mark.parametrize("key", ["x" * 10_000, "\x00", 3, ("a", 1), None])
def test_hostile_keys_are_named_briefly(key: Any) -> None:
    errors = errors_of(body(behavior_ratings={key: MEETS}))

    [field] = errors
    assert field.startswith("behavior_ratings.")
    assert len(field) < 80
    assert "not a BerAKHLAK value" in errors[field]


# --- mapping to the table and periods --------------------------------------------------------


def test_columns_cover_the_evaluation_table_without_ids() -> None:
    parsed = parse_evaluation(
        body(
            period="2024",
            work_result_rating=ABOVE,
            behavior_rating=ABOVE,
            behavior_ratings={"harmonis": ABOVE},
            feedback="Hebat",
        )
    )

    columns = evaluation_columns(parsed)

    table_columns = set(Evaluation.__table__.columns.keys())
    managed = {"id", "employee_id", "rater_id", "version", "created_at", "updated_at"}
    assert set(columns) == table_columns - managed
    assert columns["period"] == "2024"
    assert columns["kind"] is EvaluationKind.TAHUNAN
    assert columns["predikat"] is Predikat.SANGAT_BAIK
    assert columns["predikat_source"] is PredikatSource.MATRIX
    assert columns["behavior_harmonis"] is Rating.DI_ATAS_EKSPEKTASI
    assert columns["behavior_loyal"] is None
    assert columns["feedback"] == "Hebat"


def test_columns_write_and_read_back_through_the_orm(session: Session) -> None:
    employee = make_employee(session)
    parsed = parse_evaluation(body(behavior_ratings={"adaptif": BELOW}, feedback="Catatan"))
    ensure_period(session, parsed.period)

    session.add(Evaluation(employee_id=employee.id, **evaluation_columns(parsed)))
    session.commit()
    session.expunge_all()

    stored = session.scalars(select(Evaluation)).one()
    assert stored.period == "2025-Q2"
    assert stored.kind is EvaluationKind.PERIODIK
    assert stored.predikat is Predikat.BAIK
    assert stored.behavior_adaptif is Rating.DI_BAWAH_EKSPEKTASI
    assert stored.behavior_akuntabel is None
    assert stored.feedback == "Catatan"


def test_ensure_period_inserts_once(session: Session) -> None:
    quarter = parse_period("2024-Q1")

    ensure_period(session, quarter)
    ensure_period(session, quarter)
    ensure_periods(session, [quarter, parse_period("2024-02"), parse_period("2024-02")])
    session.commit()

    rows = {row.code: row for row in session.scalars(select(PeriodRow))}
    assert set(rows) == {"2024-Q1", "2024-02"}
    assert rows["2024-Q1"].kind is PeriodKind.QUARTER
    assert (rows["2024-Q1"].starts_on, rows["2024-Q1"].ends_on) == (
        date(2024, 1, 1),
        date(2024, 3, 31),
    )
    assert rows["2024-02"].ends_on == date(2024, 2, 29)


def test_ensure_periods_with_nothing_writes_nothing(session: Session) -> None:
    ensure_periods(session, [])

    assert session.scalar(select(func.count()).select_from(PeriodRow)) == 0


def test_an_input_built_directly_derives_the_same_predikat() -> None:
    built = EvaluationInput(
        parse_period("2025"), Rating.DI_BAWAH_EKSPEKTASI, Rating.DI_ATAS_EKSPEKTASI
    )

    assert built.predikat is Predikat.BUTUH_PERBAIKAN
    assert built.kind is EvaluationKind.TAHUNAN
    assert built.behavior_ratings == {}
