"""Rater calibration: a rater whose people score clearly above (below) the rest of the unit
is flagged lenient (harsh); like raters and small raters are not; hr and admin only."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.domain.entities import Rating
from tests.factories import make_employee
from tests.factories import make_evaluation
from tests.service.api.world import World

A, S, B = Rating.DI_ATAS_EKSPEKTASI, Rating.SESUAI_EKSPEKTASI, Rating.DI_BAWAH_EKSPEKTASI


def _rater(session: Session, world: World, name: str, ratings: list[tuple[Rating, Rating]]) -> int:
    """A rater in unit A1 who rated one new employee of A1 per pair (work, behaviour)."""
    unit, position = world.units["A1"], world.position_id
    rater = make_employee(session, unit_id=unit, position_id=position, name=name)
    for work, behavior in ratings:
        person = make_employee(session, unit_id=unit, position_id=position)
        make_evaluation(
            session, employee_id=person.id, rater_id=rater.id, period="2025",
            work_result_rating=work, behavior_rating=behavior,
        )  # fmt: skip
    return rater.id


def _report(client: FlaskClient, world: World, role: str = "hr", unit: str = "A1"):  # type: ignore[no-untyped-def]
    path = f"/api/v1/units/{world.units[unit]}/rater-calibration?period=2025"
    return client.get(path, headers=world.headers(role))


def test_lenient_and_harsh_raters_are_flagged(
    client: FlaskClient, world: World, session: Session
) -> None:
    mixed = [(S, S), (S, S), (S, A), (B, S), (S, S), (A, S)]
    lenient = _rater(session, world, "Lenient", [(A, A)] * 8)
    usual = [_rater(session, world, f"Usual {n}", mixed * 2) for n in range(3)]
    harsh = _rater(session, world, "Harsh", [(B, B)] * 8)
    small = _rater(session, world, "Small", [(A, A)] * 2)
    session.commit()
    answer = _report(client, world)
    assert answer.status_code == 200, answer.json
    flags = {r["rater_id"]: r["flag"] for r in answer.json["raters"]}
    assert flags == {lenient: "lenient", harsh: "harsh"} | {u: None for u in usual}
    assert small not in flags and answer.json["not_compared"] == 2
    first = answer.json["raters"][0]
    assert first["rated"] == 8 and first["ci_low"] < first["difference"] < first["ci_high"]
    assert answer.json["evaluations"] == 8 + 36 + 8 + 2
    by_id = {r["rater_id"]: r for r in answer.json["raters"]}
    assert by_id[lenient]["predikat_counts"] == {"sangat_baik": 8}
    audited = select(AuditEntry.employee_id).where(AuditEntry.resource == "rater_calibration")
    assert set(session.scalars(audited)) == {lenient, harsh, *usual}


def test_raters_alike_are_not_flagged(client: FlaskClient, world: World, session: Session) -> None:
    """Six raters of the same mix: no flag (the interval is wide enough for all six)."""
    mixed = [(S, S), (A, S), (S, B), (A, A), (B, S), (S, S)]
    for n in range(6):
        _rater(session, world, f"R{n}", mixed)
    session.commit()
    raters = _report(client, world).json["raters"]
    assert len(raters) == 6 and all(r["flag"] is None for r in raters)
    assert all(abs(r["difference"]) < 1e-9 for r in raters)


def test_who_may_read_it(client: FlaskClient, world: World, session: Session) -> None:
    _rater(session, world, "R", [(A, A)] * 5)
    session.commit()
    assert _report(client, world, "admin").status_code == 200
    assert _report(client, world, "hr", unit="B").status_code == 404  # outside hr's units
    for role in ("supervisor", "employee", "data"):
        assert _report(client, world, role).status_code == 403
    bad = client.get(
        f"/api/v1/units/{world.units['A1']}/rater-calibration?period=2025-Q9",
        headers=world.headers("hr"),
    )
    assert bad.status_code == 422
