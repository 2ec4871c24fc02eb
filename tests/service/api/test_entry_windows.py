"""The realisation window and the SKP deadline (`service.domain.entry_windows`) over HTTP:
a closed period is 409 naming the day it closed, hr reopens it for an employee or a unit
(audited, listed), a given evaluation still freezes its evidence, and a late SKP is marked
and counted by the unit's cycle progress."""

from __future__ import annotations

import re
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.db.models import Employee
from service.db.models import Skp
from service.db.models import WindowReopening
from service.domain.entities import SkpStatus
from service.domain.entry_windows import WindowSettings
from service.domain.entry_windows import skp_is_late
from service.domain.entry_windows import today_in_western_indonesia
from service.domain.errors import Invalid
from service.domain.periods import parse_period
from service.domain.periods import today_in_indonesia
from tests.factories import make_evaluation
from tests.service.api.world import World
from tests.service.api.world import add_indicator
from tests.service.api.world import add_skp

THIS_YEAR = today_in_indonesia().year
LAST_YEAR = THIS_YEAR - 1
REASON = "Bukti triwulan terlambat ditandatangani pimpinan"


def _approved(session: Session, world: World, person: str, year: int) -> tuple[int, int]:
    """An approved plan of `person` for `year` rated by their supervisor: (SKP, indicator)."""
    rater = {"E1": "S", "E2": "E1", "S": "H"}[person]
    skp_id = add_skp(session, world, person, year, rater)
    session.get(Skp, skp_id).status = SkpStatus.DITETAPKAN  # type: ignore[union-attr]
    indicator = add_indicator(session, skp_id).id
    session.commit()
    return skp_id, indicator


def _realise(
    client: FlaskClient, world: World, plan: tuple[int, int], period: str, role: str = "employee"
) -> Any:
    skp_id, indicator = plan
    body = {"indicator_id": indicator, "period": period, "value": 3, "evidence": []}
    return client.post(
        f"/api/v1/skps/{skp_id}/realisations", json=body, headers=world.headers(role)
    )


def _count(session: Session, model: Any) -> int:
    return len(session.scalars(select(model)).all())


# --- the rule, without HTTP ------------------------------------------------------------------


def test_a_period_closes_its_grace_days_after_its_end() -> None:
    settings = WindowSettings(grace_days=15)
    assert settings.closes_on(parse_period("2025-03")) == date(2025, 4, 15)
    assert settings.closes_on(parse_period("2025-Q4")) == date(2026, 1, 15)
    assert settings.closes_on(parse_period("2025")) == date(2026, 1, 15)
    assert WindowSettings(grace_days=0).closes_on(parse_period("2025-02")) == date(2025, 2, 28)
    assert WindowSettings(grace_days=None).closes_on(parse_period("2025-02")) is None


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, WindowSettings(15, (1, 31))),
        ({"KINERJA_REALISATION_GRACE_DAYS": "off"}, WindowSettings(None, (1, 31))),
        ({"KINERJA_REALISATION_GRACE_DAYS": " OFF "}, WindowSettings(None, (1, 31))),
        ({"KINERJA_REALISATION_GRACE_DAYS": 0}, WindowSettings(0, (1, 31))),
        ({"KINERJA_SKP_DEADLINE": "02-15"}, WindowSettings(15, (2, 15))),
    ],
)
def test_settings_are_read_from_the_config(config: dict[str, Any], expected: Any) -> None:
    assert WindowSettings.from_mapping(config) == expected


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("KINERJA_REALISATION_GRACE_DAYS", True),
        ("KINERJA_REALISATION_GRACE_DAYS", 1.5),
        ("KINERJA_REALISATION_GRACE_DAYS", "367"),
        ("KINERJA_SKP_DEADLINE", "13-01"),
        ("KINERJA_SKP_DEADLINE", "0131"),
        ("KINERJA_SKP_DEADLINE", 131),
    ],
)
def test_bad_settings_name_their_key(key: str, value: object) -> None:
    with pytest.raises(Invalid) as refused:
        WindowSettings.from_mapping({key: value})
    assert [error.field for error in refused.value.errors] == [key]


def test_an_skp_is_late_when_set_after_the_deadline_or_still_unset_after_it() -> None:
    settings = WindowSettings()
    in_time = datetime(2025, 1, 31, 16, 59, tzinfo=UTC)  # 23:59 on 31 January in Jakarta
    after = datetime(2025, 1, 31, 17, 0, tzinfo=UTC)  # 1 February in Jakarta
    set_ = SkpStatus.DITETAPKAN
    assert not skp_is_late(2025, set_, in_time, settings)
    assert skp_is_late(2025, set_, after, settings)
    assert not skp_is_late(2025, set_, None, settings)  # set, but when is unknown
    assert not skp_is_late(2025, SkpStatus.DIBATALKAN, None, settings)
    for waiting in (SkpStatus.DRAFT, SkpStatus.DIAJUKAN):
        assert skp_is_late(LAST_YEAR, waiting, None, settings)  # its deadline has passed
        assert not skp_is_late(THIS_YEAR + 1, waiting, None, settings)


def test_someone_hired_during_the_year_gets_the_same_time_from_the_first_day() -> None:
    """30 days after 1 January for everyone; a CPNS whose TMT is 1 June has until 1 July."""
    settings = WindowSettings()
    assert settings.skp_deadline_of(2025, date(2025, 6, 1)) == date(2025, 7, 1)
    assert settings.skp_deadline_of(2025, date(2025, 1, 10)) == date(2025, 2, 9)
    assert settings.skp_deadline_of(2025, date(2025, 1, 1)) == date(2025, 1, 31)
    assert settings.skp_deadline_of(2025, date(2019, 6, 1)) == date(2025, 1, 31)
    set_in_june = datetime(2025, 6, 20, tzinfo=UTC)
    assert not skp_is_late(2025, SkpStatus.DITETAPKAN, set_in_june, settings, date(2025, 6, 1))
    assert skp_is_late(2025, SkpStatus.DITETAPKAN, set_in_june, settings, date(2019, 6, 1))


def test_the_progress_does_not_count_a_new_hires_plan_as_late(
    client: FlaskClient, world: World, session: Session
) -> None:
    """S's plan of last year was set on 2 March: late for a long-serving employee, in time
    for one hired on 15 February of that year."""
    skp = session.get(Skp, add_skp(session, world, "S", LAST_YEAR, None))
    assert skp is not None
    skp.status = SkpStatus.DITETAPKAN
    skp.approved_at = datetime(LAST_YEAR, 3, 2, tzinfo=UTC)
    employee = session.get(Employee, world.employees["S"])
    assert employee is not None
    employee.hire_date = date(LAST_YEAR - 5, 2, 15)
    session.commit()
    path = f"/api/v1/units/{world.units['A']}/progress?year={LAST_YEAR}"
    assert client.get(path, headers=world.headers("hr")).json["total"]["late"] == 1
    read = client.get(f"/api/v1/skps/{skp.id}", headers=world.headers("hr")).json
    assert (read["deadline"], read["late"]) == (f"{LAST_YEAR}-01-31", True)
    employee.hire_date = date(LAST_YEAR, 2, 15)
    session.commit()
    assert client.get(path, headers=world.headers("hr")).json["total"]["late"] == 0
    read = client.get(f"/api/v1/skps/{skp.id}", headers=world.headers("hr")).json
    in_time_for_a_new_hire = date(LAST_YEAR, 2, 15) + timedelta(days=30)
    assert (read["deadline"], read["late"]) == (in_time_for_a_new_hire.isoformat(), False)


def test_the_hire_date_comes_with_the_plan_not_a_query_per_plan(
    app: Flask, client: FlaskClient, world: World, session: Session
) -> None:
    """An SKP's answer (its deadline runs from the hire date) read the employee again per
    plan: one SKP read `employees` twice, a list of two three times. The hire date now
    comes with the plan's own query (one SKP) or the employee's access check (a list)."""
    plans = [add_skp(session, world, "E1", year, "S") for year in (LAST_YEAR - 1, LAST_YEAR)]
    employee = session.get(Employee, world.employees["E1"])
    assert employee is not None
    employee.hire_date = date(LAST_YEAR, 2, 15)
    session.commit()
    deadline = (date(LAST_YEAR, 2, 15) + timedelta(days=30)).isoformat()
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    engine = app.extensions["db"].engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        one = client.get(f"/api/v1/skps/{plans[1]}", headers=world.headers("supervisor"))
        of_one = [s for s in statements if re.search(r"\bFROM employees\b", s)]
        statements.clear()
        listed = client.get(
            f"/api/v1/employees/{world.employees['E1']}/skps", headers=world.headers("supervisor")
        )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    of_list = [s for s in statements if re.search(r"\bFROM employees\b", s)]
    assert (len(of_one), len(of_list)) == (0, 1), (of_one, of_list)
    assert one.json["deadline"] == deadline
    deadlines = [item["deadline"] for item in listed.json["items"]]
    assert deadlines == [f"{LAST_YEAR - 1}-01-31", deadline]  # hired after that year began


# --- the window over HTTP --------------------------------------------------------------------


def test_a_closed_period_is_409_saying_when_it_closed(
    client: FlaskClient, world: World, session: Session
) -> None:
    """Last year's January closed on 15 February: refused for the employee and the rater,
    nothing stored; this month (of this year's plan) is open."""
    old = _approved(session, world, "E1", LAST_YEAR)
    for role in ("employee", "supervisor"):
        refused = _realise(client, world, old, f"{LAST_YEAR}-01", role)
        assert refused.status_code == 409, refused.json
        assert refused.content_type == "application/problem+json"
        assert f"closed on {LAST_YEAR}-02-15" in refused.json["detail"]
    current = _approved(session, world, "E1", THIS_YEAR)
    month = today_in_indonesia().strftime("%Y-%m")
    assert _realise(client, world, current, month).status_code == 201
    listed = client.get(f"/api/v1/skps/{old[0]}/realisations", headers=world.headers("hr"))
    assert listed.json["total"] == 0


def test_hr_reopens_the_window_of_an_employee(
    client: FlaskClient, world: World, session: Session
) -> None:
    """A reopening until a day lets the employee write closed periods again; it is audited
    and listed for the employee and for the unit; another employee stays closed."""
    e1, e2 = _approved(session, world, "E1", LAST_YEAR), _approved(session, world, "E2", LAST_YEAR)
    until = today_in_western_indonesia() + timedelta(days=10)
    path = f"/api/v1/employees/{world.employees['E1']}/window-reopenings"
    body = {"until": until.isoformat(), "reason": REASON}
    created = client.post(path, json=body, headers=world.headers("hr"))
    assert created.status_code == 201, created.json
    assert created.json["employee_id"] == world.employees["E1"]
    assert (created.json["unit_id"], created.json["until"]) == (None, until.isoformat())
    assert created.json["granted_by_user_id"] == world.users["hr"]
    assert _realise(client, world, e1, f"{LAST_YEAR}-01").status_code == 201
    assert _realise(client, world, e2, f"{LAST_YEAR}-01").status_code == 409  # E1 rates E2
    audited = session.scalars(
        select(AuditEntry).where(AuditEntry.resource == "window_reopening")
    ).all()
    assert [(a.action, a.employee_id) for a in audited if a.action == "create"] == [
        ("create", world.employees["E1"])
    ]
    mine = client.get(path, headers=world.headers("hr")).json
    assert [item["id"] for item in mine["items"]] == [created.json["id"]]
    unit = f"/api/v1/units/{world.units['A']}/window-reopenings"
    assert client.get(unit, headers=world.headers("admin")).json["total"] == 1
    other = f"/api/v1/units/{world.units['B']}/window-reopenings"
    assert client.get(other, headers=world.headers("admin")).json["total"] == 0


def test_a_unit_reopening_covers_the_units_below_it(
    client: FlaskClient, world: World, session: Session
) -> None:
    """Reopened for unit A: E2 (in A1, below A) writes again; the employee's list shows it."""
    e2 = _approved(session, world, "E2", LAST_YEAR)
    rater = {"Authorization": world.headers("employee")["Authorization"]}  # E1 rates E2
    until = (today_in_western_indonesia() + timedelta(days=3)).isoformat()
    reopened = client.post(
        f"/api/v1/units/{world.units['A']}/window-reopenings",
        json={"until": until, "reason": REASON},
        headers=world.headers("hr"),
    )
    assert reopened.status_code == 201, reopened.json
    assert reopened.json["unit_id"] == world.units["A"]
    skp_id, indicator = e2
    body = {"indicator_id": indicator, "period": f"{LAST_YEAR}-Q2", "value": 1, "evidence": []}
    written = client.post(f"/api/v1/skps/{skp_id}/realisations", json=body, headers=rater)
    assert written.status_code == 201, written.json
    covering = client.get(
        f"/api/v1/employees/{world.employees['E2']}/window-reopenings",
        headers=world.headers("hr"),
    ).json
    assert [item["unit_id"] for item in covering["items"]] == [world.units["A"]]


def test_an_ended_reopening_no_longer_opens(
    client: FlaskClient, world: World, session: Session
) -> None:
    """A reopening whose day has passed (stored earlier) leaves the period closed."""
    plan = _approved(session, world, "E1", LAST_YEAR)
    ended = today_in_western_indonesia() - timedelta(days=1)
    session.add(WindowReopening(employee_id=world.employees["E1"], until=ended, reason=REASON))
    session.commit()
    assert _realise(client, world, plan, f"{LAST_YEAR}-03").status_code == 409


def test_a_given_evaluation_keeps_its_evidence_frozen_in_a_reopened_window(
    client: FlaskClient, world: World, session: Session
) -> None:
    """The freeze comes first: reopened or not, an evaluated period is 409 pointing to an
    objection, not to hr."""
    plan = _approved(session, world, "E1", LAST_YEAR)
    make_evaluation(session, employee_id=world.employees["E1"], period=f"{LAST_YEAR}-Q1")
    until = today_in_western_indonesia() + timedelta(days=5)
    session.add(WindowReopening(employee_id=world.employees["E1"], until=until, reason=REASON))
    session.commit()
    refused = _realise(client, world, plan, f"{LAST_YEAR}-02")
    assert refused.status_code == 409
    assert "objection" in refused.json["detail"] and "closed" not in refused.json["detail"]
    assert _realise(client, world, plan, f"{LAST_YEAR}-04").status_code == 201


def test_the_window_can_be_turned_off(
    app: Flask, client: FlaskClient, world: World, session: Session
) -> None:
    app.extensions["window_settings"] = WindowSettings(grace_days=None)
    plan = _approved(session, world, "E1", LAST_YEAR)
    assert _realise(client, world, plan, f"{LAST_YEAR}-01").status_code == 201


def test_a_reopening_can_be_limited_to_one_period(
    client: FlaskClient, world: World, session: Session
) -> None:
    """Reopened for last year's Q1: Q1 and its months open again, other periods and the year
    (which holds more than Q1) stay closed; listed with its period. A unit's reopening of
    one month opens that month only."""
    plan = _approved(session, world, "E1", LAST_YEAR)
    until = (today_in_western_indonesia() + timedelta(days=7)).isoformat()
    path = f"/api/v1/employees/{world.employees['E1']}/window-reopenings"
    body = {"until": until, "reason": REASON, "period": f"{LAST_YEAR}-Q1"}
    created = client.post(path, json=body, headers=world.headers("hr"))
    assert created.status_code == 201, created.json
    assert created.json["period"] == f"{LAST_YEAR}-Q1"
    written = {p: _realise(client, world, plan, f"{LAST_YEAR}{p}").status_code
               for p in ("-02", "-Q1", "-05", "-Q2", "")}  # fmt: skip
    assert written == {"-02": 201, "-Q1": 201, "-05": 409, "-Q2": 409, "": 409}
    listed = client.get(path, headers=world.headers("hr")).json["items"]
    assert [item["period"] for item in listed] == [f"{LAST_YEAR}-Q1"]
    unit = f"/api/v1/units/{world.units['A']}/window-reopenings"
    month = {"until": until, "reason": REASON, "period": f"{LAST_YEAR}-07"}
    assert client.post(unit, json=month, headers=world.headers("hr")).status_code == 201
    assert _realise(client, world, plan, f"{LAST_YEAR}-07").status_code == 201
    assert _realise(client, world, plan, f"{LAST_YEAR}-08").status_code == 409
    periods = [
        item["period"] for item in client.get(unit, headers=world.headers("hr")).json["items"]
    ]
    assert periods == [f"{LAST_YEAR}-07", f"{LAST_YEAR}-Q1"]
    whole = client.post(path, json={"until": until, "reason": REASON}, headers=world.headers("hr"))
    assert whole.json["period"] is None
    assert _realise(client, world, plan, f"{LAST_YEAR}-08").status_code == 201


def test_listing_a_units_reopenings_audits_a_read_of_each_employee_named(
    client: FlaskClient, world: World, session: Session
) -> None:
    """Reopenings of E1 (twice), E2 and unit A1: the unit's list names E1 and E2, so the
    read leaves one row for each of them, none for the unit's own reopening."""
    until = today_in_western_indonesia() + timedelta(days=3)
    for scope in (
        {"employee_id": world.employees["E1"]},
        {"employee_id": world.employees["E1"]},
        {"employee_id": world.employees["E2"]},
        {"unit_id": world.units["A1"]},
    ):
        session.add(WindowReopening(until=until, reason=REASON, **scope))  # type: ignore[arg-type]
    session.commit()
    listed = client.get(
        f"/api/v1/units/{world.units['A']}/window-reopenings", headers=world.headers("hr")
    )
    assert listed.status_code == 200 and listed.json["total"] == 4
    reads = session.scalars(
        select(AuditEntry).where(
            AuditEntry.resource == "window_reopening", AuditEntry.action == "read"
        )
    ).all()
    assert sorted(a.employee_id for a in reads) == sorted(
        [world.employees["E1"], world.employees["E2"]]
    )
    assert {a.actor_user_id for a in reads} == {world.users["hr"]}


@pytest.mark.parametrize(
    "period",
    ["2025-13", "Q1-2025", "2025-q1", 2025, "", f"{THIS_YEAR + 1}-Q1", "1989"],
)
def test_a_bad_reopening_period_is_422_and_stores_nothing(
    client: FlaskClient, world: World, session: Session, period: object
) -> None:
    """Not a period code, or a period that has not started (nothing of it is closed)."""
    until = (today_in_western_indonesia() + timedelta(days=5)).isoformat()
    for path in (
        f"/api/v1/employees/{world.employees['E1']}/window-reopenings",
        f"/api/v1/units/{world.units['A1']}/window-reopenings",
    ):
        body = {"until": until, "reason": REASON, "period": period}
        refused = client.post(path, json=body, headers=world.headers("admin"))
        assert refused.status_code == 422, refused.json
        assert refused.content_type == "application/problem+json"
        assert [error["field"] for error in refused.json["errors"]] == ["period"]
    assert _count(session, WindowReopening) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"until": "2000-01-01", "reason": REASON}, "until"),
        ({"until": (date.today() + timedelta(days=400)).isoformat(), "reason": REASON}, "until"),
        ({"until": "not a day", "reason": REASON}, "until"),
        ({"until": (date.today() + timedelta(days=5)).isoformat(), "reason": "   "}, "reason"),
        ({"until": (date.today() + timedelta(days=5)).isoformat()}, "reason"),
    ],
)
def test_a_bad_reopening_is_422_and_stores_nothing(
    client: FlaskClient, world: World, session: Session, body: dict[str, Any], field: str
) -> None:
    for path in (
        f"/api/v1/employees/{world.employees['E1']}/window-reopenings",
        f"/api/v1/units/{world.units['A1']}/window-reopenings",
    ):
        refused = client.post(path, json=body, headers=world.headers("admin"))
        assert refused.status_code in (400, 422), refused.json
        assert refused.content_type == "application/problem+json"
        assert field in [error["field"] for error in refused.json["errors"]]
    assert _count(session, WindowReopening) == 0


# --- the SKP deadline ------------------------------------------------------------------------


def test_an_skp_answer_says_its_deadline_and_whether_it_is_late(
    app: Flask, client: FlaskClient, world: World
) -> None:
    """Last year's plan, approved now, is late; next year's draft is not (yet); a deadline
    set to 28 February moves the day the answer names."""
    employee, supervisor = world.headers("employee"), world.headers("supervisor")
    plans = f"/api/v1/employees/{world.employees['E1']}/skps"
    indicator = {"aspect": "kuantitas", "description": "Laporan", "target_value": 4}
    rhks = [{"kind": "utama", "description": "Layanan", "indicators": [indicator]}]
    old = client.post(plans, json={"year": LAST_YEAR, "rhks": rhks}, headers=employee).json
    assert (old["deadline"], old["late"]) == (f"{LAST_YEAR}-01-31", True)
    client.post(f"/api/v1/skps/{old['id']}/submit", headers=employee)
    approved = client.post(f"/api/v1/skps/{old['id']}/approve", headers=supervisor)
    assert approved.status_code == 200
    assert approved.json["late"] is True
    coming = client.post(plans, json={"year": THIS_YEAR + 1, "rhks": rhks}, headers=employee)
    assert (coming.json["deadline"], coming.json["late"]) == (f"{THIS_YEAR + 1}-01-31", False)
    app.extensions["window_settings"] = WindowSettings(skp_deadline=(2, 28))
    read = client.get(f"/api/v1/skps/{coming.json['id']}", headers=employee).json
    assert read["deadline"] == f"{THIS_YEAR + 1}-02-28"


def test_the_cycle_progress_counts_late_plans(
    client: FlaskClient, world: World, session: Session
) -> None:
    """Of last year's plans under unit A: E1's set in time, S's set late, E2's still
    submitted (late), T's cancelled (not late): 2 late in all, both in A1."""

    def plan(person: str, status: SkpStatus, approved: datetime | None = None) -> None:
        skp = session.get(Skp, add_skp(session, world, person, LAST_YEAR, None))
        assert skp is not None
        skp.status, skp.approved_at = status, approved

    plan("E1", SkpStatus.DITETAPKAN, datetime(LAST_YEAR, 1, 20, tzinfo=UTC))
    plan("S", SkpStatus.DITETAPKAN, datetime(LAST_YEAR, 3, 2, tzinfo=UTC))
    plan("E2", SkpStatus.DIAJUKAN)
    plan("T", SkpStatus.DIBATALKAN)
    session.commit()
    path = f"/api/v1/units/{world.units['A']}/progress?year={LAST_YEAR}"
    body = client.get(path, headers=world.headers("hr")).json
    assert body["total"]["late"] == 2
    assert {u["unit_id"]: u["progress"]["late"] for u in body["items"]} == {
        world.units["A"]: 0,
        world.units["A1"]: 2,
    }
