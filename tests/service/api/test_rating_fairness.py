"""The fairness report: a group rated poor more often than the rest is marked, small groups
show no figures (nor do the groups they would be read back from), a rater who rates women
lower is marked and audited; the data team gets the groups only; bad input is refused."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

from flask.testing import FlaskClient
from scipy.stats import norm
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.db.models import RiskScore
from service.domain.entities import Gender
from service.domain.entities import Rating
from tests.factories import make_employee
from tests.factories import make_evaluation
from tests.service.api.world import World
from tests.training.test_synthetic_support import two_proportion_z

A, S, B = Rating.DI_ATAS_EKSPEKTASI, Rating.SESUAI_EKSPEKTASI, Rating.DI_BAWAH_EKSPEKTASI
L, P = Gender.L, Gender.P


def _rate(
    session: Session, world: World, rater: int | None, people: list[tuple[Any, Rating]],
    **person: Any,
) -> list[int]:  # fmt: skip
    """One new employee of A1 per (gender, rating of both kinds), rated by `rater` in 2025."""
    ids = []
    for gender, rating in people:
        employee = make_employee(
            session, unit_id=world.units["A1"], position_id=world.position_id, gender=gender,
            **person,
        )  # fmt: skip
        make_evaluation(
            session, employee_id=employee.id, rater_id=rater, period="2025",
            work_result_rating=rating, behavior_rating=rating,
        )  # fmt: skip
        ids.append(employee.id)
    return ids


def _rater(session: Session, world: World, name: str) -> int:
    return make_employee(
        session, unit_id=world.units["A1"], position_id=world.position_id, name=name
    ).id


def _report(client: FlaskClient, world: World, role: str = "hr", period: str = "2025") -> Any:
    path = f"/api/v1/units/{world.units['A1']}/fairness?period={period}"
    return client.get(path, headers=world.headers(role))


def _table(body: dict[str, Any], attribute: str, measure: str) -> dict[str, Any]:
    return next(
        t for t in body["tables"] if t["attribute"] == attribute and t["measure"] == measure
    )


def _groups(table: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {g["group"]: g for g in table["groups"]}


def test_a_group_rated_poor_more_often_is_marked_at_the_pooled_z(
    client: FlaskClient, world: World, session: Session
) -> None:
    """Women rated di bawah 8 times in 20, men 1 in 20: the gender rows are marked, and the
    interval is the pooled two-proportion z-test's at the Bonferroni quantile."""
    rater = _rater(session, world, "R")
    _rate(session, world, rater, [(P, B)] * 8 + [(P, S)] * 12 + [(L, B)] + [(L, S)] * 19)
    session.commit()
    body = _report(client, world).json
    poor = _groups(_table(body, "gender", "poor_share"))
    assert poor["P"]["value"] == 8 / 20 and poor["P"]["marked"] and poor["L"]["marked"]
    assert poor["P"]["difference"] == 8 / 20 - 1 / 20
    compared = sum(
        1 for t in body["tables"] for g in t["groups"] if g["difference"] is not None
    )  # fmt: skip
    z_crit = norm.ppf(1 - 0.05 / (2 * compared))
    assert abs(body["critical_z"] - z_crit) < 1e-9
    half = poor["P"]["ci_high"] - poor["P"]["difference"]
    z = poor["P"]["difference"] / (half / z_crit)
    assert abs(z - two_proportion_z(8, 20, 1, 20)) < 1e-9
    assert not any(g["marked"] for g in _table(body, "age_band", "poor_share")["groups"])


def test_small_groups_show_no_figures_nor_the_groups_they_follow_from(
    client: FlaskClient, world: World, session: Session
) -> None:
    """Golongan: III 20, IV 6, none 2. The 2 are too small; IV goes too (the 8 left out
    together are enough), else IV's figures and the total's would give the 2's away."""
    rater = _rater(session, world, "R")
    _rate(session, world, rater, [(L, S)] * 20, grade="III/b")
    _rate(session, world, rater, [(L, B)] * 6, grade="IV/a")
    _rate(session, world, None, [(None, B)] * 2, grade=None, birth_date=None)
    session.commit()
    body = _report(client, world, "data").json
    grades = _groups(_table(body, "grade_group", "poor_share"))
    assert grades["unknown"] == grades["unknown"] | {"too_small": True, "size": None}
    assert grades["unknown"]["value"] is None and grades["IV"]["too_small"]
    assert grades["III"]["size"] == 20 and grades["III"]["value"] == 0.0
    genders = _groups(_table(body, "gender", "mean_score"))
    assert genders["unknown"]["too_small"] and genders["L"]["too_small"]  # 26 and 2 left
    assert body["raters"] is None and body["evaluations"] == 28


def test_a_rater_who_rates_women_lower_is_marked_and_audited(
    client: FlaskClient, world: World, session: Session
) -> None:
    mixed = [(L, S), (L, A), (L, B), (P, S), (P, A), (P, B)] * 2
    fair = [_rater(session, world, f"Fair {n}") for n in range(4)]
    for rater in fair:
        _rate(session, world, rater, mixed)
    harsh = _rater(session, world, "Harsh")
    _rate(session, world, harsh, [(L, A)] * 6 + [(P, B)] * 6)
    session.commit()
    raters = _report(client, world).json["raters"]
    marked = {r["rater_id"]: r["lower_group"] for r in raters["items"] if r["lower_group"]}
    assert marked == {harsh: "P"}
    first = raters["items"][0]
    assert first["rater_id"] == harsh and first["gap"] == 2.0
    assert first["rated"] == {"L": 6, "P": 6} and first["ci_low"] > 0
    audited = select(AuditEntry.employee_id).where(AuditEntry.resource == "rating_fairness")
    assert set(session.scalars(audited)) == {harsh, *fair}
    _report(client, world, "data")
    assert len(list(session.scalars(audited))) == 5  # the data team named nobody


def test_flags_of_the_served_version_alone_are_counted(
    client: FlaskClient, world: World, session: Session
) -> None:
    """No model is served here: the rule fallback's flags count, another version's do not."""
    rater = _rater(session, world, "R")
    women = _rate(session, world, rater, [(P, S)] * 10)
    men = _rate(session, world, rater, [(L, S)] * 10)
    for person in women + men:
        session.add(_score(person, flagged=person in women[:6] or person == men[0]))
    for person in _rate(session, world, rater, [(L, S)] * 3):
        session.add(_score(person, flagged=True, version="7"))  # a model no longer served
    session.commit()
    body = _report(client, world).json
    assert body["model"] == {"name": "kinerja-risk", "version": None, "fallback": True}
    assert body["scored"] == 20 and body["evaluations"] == 23
    flagged = _groups(_table(body, "gender", "flagged_share"))
    assert flagged["P"]["value"] == 0.6 and flagged["L"]["value"] == 0.1


def _score(person: int, flagged: bool, version: str | None = None) -> RiskScore:
    return RiskScore(
        employee_id=person, period="2025", status="ok", probability=0.5, threshold=0.4,
        flagged=flagged, drivers=[], model_name="kinerja-risk", model_version=version,
        fallback=version is None, scored_at=datetime.now(UTC),
    )  # fmt: skip


def test_who_may_read_it_and_bad_input(
    client: FlaskClient, world: World, session: Session
) -> None:
    assert _report(client, world, "admin").status_code == 200
    assert _report(client, world, "data").status_code == 200
    for role in ("supervisor", "employee"):
        assert _report(client, world, role).status_code == 403
    outside = client.get(
        f"/api/v1/units/{world.units['B']}/fairness?period=2025", headers=world.headers("hr")
    )
    assert outside.status_code == 404
    for period in ("2025-Q9", "", "tahun"):
        bad = _report(client, world, period=period)
        assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    missing = client.get(
        "/api/v1/units/999999/fairness?period=2025", headers=world.headers("admin")
    )
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def test_an_empty_period_has_no_figures(client: FlaskClient, world: World) -> None:
    body = _report(client, world, period="2018").json
    assert body["evaluations"] == 0 and body["critical_z"] is None
    assert all(t["overall"] is None and t["groups"] == [] for t in body["tables"])
    assert body["raters"]["items"] == []


def test_age_band_is_taken_at_the_period_end(
    client: FlaskClient, world: World, session: Session
) -> None:
    """Born on 1 January 1996: 29 through 2025, so under 30 at the end of 2025."""
    rater = _rater(session, world, "R")
    _rate(session, world, rater, [(L, S)] * 5, birth_date=date(1996, 1, 1))
    _rate(session, world, rater, [(L, S)] * 5, birth_date=date(1995, 12, 31))
    session.commit()
    bands = _groups(_table(_report(client, world).json, "age_band", "poor_share"))
    assert bands["<30"]["size"] == 5 and bands["30-39"]["size"] == 5
