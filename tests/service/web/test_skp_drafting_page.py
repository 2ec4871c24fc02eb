"""The unit page's form that drafts the unit's SKPs from the position templates."""

from __future__ import annotations

import html
from collections import Counter

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.db.models import Position
from service.db.models import Skp
from service.db.models import SkpTemplate
from service.domain.entities import PositionKind
from service.domain.entities import SkpApproach
from service.domain.entities import SkpModel
from tests.factories import make_employee
from tests.service.api.world import World
from tests.service.auth.access_table import SKP_TEMPLATE
from tests.service.web.conftest import post_form
from tests.service.web.conftest import sign_in


def _template(session: Session, world: World) -> None:
    session.add(
        SkpTemplate(
            position_id=world.position_id,
            model=SkpModel.JA_JF,
            approach=SkpApproach.KUANTITATIF,
            rhks=SKP_TEMPLATE["rhks"],
        )
    )
    session.commit()


def _plans(session: Session, year: int) -> int:
    return session.scalar(select(func.count()).select_from(Skp).where(Skp.year == year)) or 0


def test_hr_drafts_the_units_skps_and_reads_what_was_made_in_indonesian(
    client: FlaskClient, world: World, session: Session
) -> None:
    _template(session, world)
    sign_in(client, "hr")
    page = f"/units/{world.units['A']}/training-needs"
    form = client.get(page).get_data(as_text=True)
    assert "Buat draf SKP dari templat jabatan" in form
    path = f"/units/{world.units['A']}/skps"
    sent = post_form(client, path, {"year": "2031", "include_subunits": "on"}, page)
    assert sent.status_code == 303
    assert _plans(session, 2031) == 3  # S, E1, E2; H and T have no supervisor
    shown = html.unescape(client.get(page).get_data(as_text=True))
    assert "3 draf SKP tahun 2031 dibuat dari templat jabatan." in shown
    assert "2 pegawai dilewati: tidak ada atasan langsung sebagai pejabat penilai SKP." in shown
    again = post_form(client, path, {"year": "2031", "include_subunits": "on"}, page)
    assert again.status_code == 303
    shown = html.unescape(client.get(page).get_data(as_text=True))
    assert "0 draf SKP tahun 2031 dibuat dari templat jabatan." in shown
    assert "3 pegawai sudah memiliki SKP tahun itu." in shown
    assert _plans(session, 2031) == 3


def test_the_unit_alone_and_a_bad_year(
    client: FlaskClient, world: World, session: Session
) -> None:
    _template(session, world)
    sign_in(client, "admin")
    page = f"/units/{world.units['A1']}/training-needs"
    path = f"/units/{world.units['A']}/skps"
    post_form(client, path, {"year": "2031"}, page)  # no include_subunits: A alone (H)
    assert _plans(session, 2031) == 0
    refused = post_form(client, path, {"year": "tahun ini", "include_subunits": "on"}, page)
    assert refused.status_code == 303
    shown = html.unescape(client.get(page).get_data(as_text=True))
    assert "Isi tahun SKP, misalnya 2026." in shown
    assert _plans(session, 2031) == 0


def test_whoever_gets_no_draft_is_named_by_reason_and_paged(
    app: Flask, client: FlaskClient, world: World, session: Session
) -> None:
    """The drafting said only how many were skipped per reason. It now leads to a page that
    names them (NIP, name, a link to the employee page) under each reason, a page of
    WEB_PAGE_SIZE at a time; those with an SKP (made now or before) are only counted."""
    _template(session, world)
    lone = Position(title="Analis Tanpa Templat", kind=PositionKind.FUNGSIONAL)
    session.add(lone)
    session.flush()
    for number in range(3):  # a position without a template, under S
        make_employee(
            session, unit_id=world.units["A1"], position_id=lone.id,
            supervisor_id=world.employees["S"], name=f"Tanpa Templat {number}",
        )  # fmt: skip
    session.commit()
    app.config["WEB_PAGE_SIZE"] = 2
    sign_in(client, "hr")
    page = f"/units/{world.units['A']}/training-needs"
    sent = post_form(client, f"/units/{world.units['A']}/skps", {"year": "2031"}, page)
    assert sent.status_code == 303 and "/skps?year=2031&run=" in sent.headers["Location"]
    assert _plans(session, 2031) == 0  # A alone: H, who has no supervisor
    sent = post_form(
        client, f"/units/{world.units['A']}/skps", {"year": "2031", "include_subunits": "on"}, page
    )
    target = sent.headers["Location"]
    assert "/skps?year=2031&include_subunits=on&run=" in target

    shown = html.unescape(client.get(target).get_data(as_text=True))
    assert "3 draf SKP tahun 2031 dibuat dari templat jabatan." in shown  # the run's message
    no_supervisor = shown[shown.index('id="no_supervisor"') :]
    for person in ("H", "T"):
        link = f'<a href="/employees/{world.employees[person]}">Pegawai {person}</a>'
        assert link in no_supervisor and world.nips[person] in no_supervisor
    no_template = shown[shown.index('id="no_template"') : shown.index('id="no_supervisor"')]
    assert "3 pegawai dilewati: jabatannya belum memiliki templat SKP." in no_template
    assert no_template.count("Tanpa Templat") == 2  # a page of 2 of the 3, by name
    assert "no_template_offset=2" in no_template
    rest = html.unescape(client.get(f"{target}&no_template_offset=2").get_data(as_text=True))
    assert "Tanpa Templat 2" in rest and "Tanpa Templat 0" not in rest
    assert "Pegawai S" not in shown  # drafted now: has an SKP, listed under no reason
    assert client.get(f"/units/{world.units['A']}/skps?year=dua").status_code == 422


def test_the_page_of_a_run_shows_what_that_run_decided(
    client: FlaskClient, world: World, session: Session
) -> None:
    """After the run, the position that had no template gets one: the run's page still
    names whom the run skipped for it (and whom it found with an SKP), while the page
    without a run shows what drafting would do now. Another unit's run is not found."""
    lone = Position(title="Analis Tanpa Templat", kind=PositionKind.FUNGSIONAL)
    session.add(lone)
    session.flush()
    make_employee(session, unit_id=world.units["A1"], position_id=lone.id,
                  supervisor_id=world.employees["S"], name="Tanpa Templat")  # fmt: skip
    _template(session, world)
    sign_in(client, "hr")
    page = f"/units/{world.units['A']}/training-needs"
    path = f"/units/{world.units['A']}/skps"
    post_form(client, path, {"year": "2031", "include_subunits": "on"}, page)
    target = post_form(client, path, {"year": "2031", "include_subunits": "on"}, page)
    run_page = target.headers["Location"]  # the second run: S, E1, E2 have their drafts
    kind = {"model": SkpModel.JA_JF, "approach": SkpApproach.KUANTITATIF}
    session.add(SkpTemplate(position_id=lone.id, rhks=SKP_TEMPLATE["rhks"], **kind))
    session.commit()
    shown = html.unescape(client.get(run_page).get_data(as_text=True))
    assert "yang tidak dibuatkan draf SKP oleh pembuatan draf pada" in shown
    assert "(0 draf dibuat)" in shown
    assert "1 pegawai dilewati: jabatannya belum memiliki templat SKP." in shown
    assert "3 pegawai sudah memiliki SKP tahun itu." in shown and "Pegawai E2" in shown
    now = html.unescape(client.get(f"{path}?year=2031&include_subunits=on").get_data(as_text=True))
    assert "belum memiliki templat SKP" not in now and "Pegawai E2" not in now
    run_id = run_page.rsplit("run=", 1)[1]
    assert client.get(f"/units/{world.units['A1']}/skps?run={run_id}").status_code == 404
    assert client.get(f"{path}?run=99999999999999").status_code == 404


def _skp_reads(session: Session) -> Counter[int]:
    """How many read-audit rows of an SKP name each employee."""
    session.expire_all()
    query = select(AuditEntry.employee_id).where(
        AuditEntry.action == "read", AuditEntry.resource == "skp"
    )
    return Counter(session.scalars(query))


def test_the_people_a_page_names_leave_a_read_audit_row_each(
    app: Flask, client: FlaskClient, world: World, session: Session
) -> None:
    """The pages name people with their NIP and where their SKP stands: each audits a
    read of the SKP of every person on it, only those on the page, and none for the
    reader's own (hr's H has no supervisor). Before, they left no audit row."""
    _template(session, world)
    app.config["WEB_PAGE_SIZE"] = 1
    sign_in(client, "hr")
    page = f"/units/{world.units['A']}/training-needs"
    path = f"/units/{world.units['A']}/skps"
    post_form(client, path, {"year": "2031", "include_subunits": "on"}, page)
    target = post_form(client, path, {"year": "2031", "include_subunits": "on"}, page)
    before = _skp_reads(session)
    shown = html.unescape(client.get(target.headers["Location"]).get_data(as_text=True))
    assert "Pegawai E1" in shown and "Pegawai T" not in shown  # a page of 1 per reason
    read = _skp_reads(session) - before
    assert read == Counter([world.employees["E1"]])  # has_skp: E1 first; no_supervisor: H
    before = _skp_reads(session)
    client.get(f"{path}?year=2031&include_subunits=on&no_supervisor_offset=1")
    assert _skp_reads(session) - before == Counter([world.employees["T"]])
