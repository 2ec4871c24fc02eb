"""Cycle progress of a unit: each active employee counted once by their furthest SKP of the
year, realisations per quarter (a month counts for its quarter), evaluations per quarter and
year; per unit (depth first) and for the subtree; hr over the unit and admin only.

World: A holds H; A1 (below A) holds S, E1, E2, T; B holds AD, AS, O."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from service.db.models import Realisation
from service.db.models import Skp
from service.domain.entities import SkpStatus
from service.domain.evaluation_input import ensure_period
from service.domain.periods import parse_period
from tests.factories import make_employee
from tests.factories import make_evaluation
from tests.factories import make_position
from tests.service.api.world import World
from tests.service.api.world import add_indicator
from tests.service.api.world import add_skp


def _plan(session: Session, world: World, person: str, status: SkpStatus) -> int:
    skp = session.get(Skp, add_skp(session, world, person, 2025, "S"))
    assert skp is not None
    skp.status = status
    session.flush()
    return skp.id


def _columns(skp: Skp | None) -> dict[str, Any]:
    """A draft copy of `skp` (model, approach, year, employee, rater)."""
    assert skp is not None
    names = ("employee_id", "year", "model", "approach", "rater_id")
    return {name: getattr(skp, name) for name in names}


def _realise(session: Session, skp_id: int, *periods: str) -> None:
    indicator = add_indicator(session, skp_id)
    for period in periods:
        ensure_period(session, parse_period(period))
        session.add(Realisation(indicator_id=indicator.id, period=period, value=1.0))


def _cycle(session: Session, world: World) -> None:
    e1 = _plan(session, world, "E1", SkpStatus.DITETAPKAN)
    moved = make_position(session).id  # a second position this year: E1 counts once
    session.add(Skp(**_columns(session.get(Skp, e1)), position_id=moved))
    _realise(session, e1, "2025-02", "2025-03", "2025-Q3", "2025")
    _plan(session, world, "E2", SkpStatus.DIAJUKAN)
    _plan(session, world, "T", SkpStatus.DIBATALKAN)  # cancelled: as none
    _plan(session, world, "AS", SkpStatus.DITETAPKAN)  # unit B: not counted under A
    make_evaluation(session, employee_id=world.employees["E1"], period="2025-Q1")
    make_evaluation(session, employee_id=world.employees["S"], period="2025")
    make_evaluation(session, employee_id=world.employees["E2"], period="2024")  # other year
    gone = make_employee(session, unit_id=world.units["A1"], position_id=world.position_id)
    gone.is_active = False  # left: not counted
    session.commit()


def _progress(client: FlaskClient, world: World, query: str = "year=2025", **kw: Any) -> Any:
    role, unit = kw.get("role", "hr"), kw.get("unit", "A")
    path = f"/api/v1/units/{world.units[unit]}/progress?{query}"
    return client.get(path, headers=world.headers(role))


def test_counts_per_unit_and_for_the_subtree(
    client: FlaskClient, world: World, session: Session
) -> None:
    _cycle(session, world)
    answer = _progress(client, world)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["quarters"] == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert body["periods"] == [*body["quarters"], "2025"]
    total = body["total"]
    assert total["employees"] == 5  # H, S, E1, E2, T
    assert total["plans"] == {"none": 3, "draft": 0, "diajukan": 1, "ditetapkan": 1}
    assert total["realised"] == {"2025-Q1": 1, "2025-Q2": 0, "2025-Q3": 1, "2025-Q4": 0}
    assert total["evaluated"] == {
        "2025-Q1": 1, "2025-Q2": 0, "2025-Q3": 0, "2025-Q4": 0, "2025": 1
    }  # fmt: skip
    units = [(u["unit_id"], u["depth"], u["progress"]["employees"]) for u in body["items"]]
    assert units == [(world.units["A"], 0, 1), (world.units["A1"], 1, 4)]
    assert body["total_units"] == 2
    page = _progress(client, world, "year=2025&limit=1&offset=1").get_json()
    assert [u["unit_id"] for u in page["items"]] == [world.units["A1"]]
    assert page["total"] == total  # the subtree whatever the page


def test_a_year_not_started_has_no_periods(
    client: FlaskClient, world: World, session: Session
) -> None:
    body = _progress(client, world, "year=2099").get_json()
    assert body["quarters"] == [] and body["periods"] == []
    assert body["total"]["plans"]["none"] == body["total"]["employees"] == 5


def test_who_may_read_it_and_bad_years(client: FlaskClient, world: World) -> None:
    assert _progress(client, world, role="admin").status_code == 200
    assert _progress(client, world, unit="B").status_code == 404  # outside hr's units
    for role in ("supervisor", "employee", "data"):
        assert _progress(client, world, role=role).status_code == 403
    for query in ("year=1989", "year=abc", "", "year=2025&limit=0"):
        bad = _progress(client, world, query)
        assert bad.status_code in (400, 422), query
        assert bad.headers["Content-Type"].startswith("application/problem+json")
