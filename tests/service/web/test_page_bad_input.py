"""Bad query strings and form values on the pages give a clear answer, never a 500."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import FeedbackRound
from tests.service.api.world import World
from tests.service.web.conftest import post_form
from tests.service.web.conftest import sign_in

#: Larger than any database integer (SQLite's and PostgreSQL's bigint alike).
HUGE = "9" * 30


@pytest.mark.parametrize(
    "path",
    [
        "/?offset={huge}",
        "/notifications?offset={huge}",
        "/employees/{e1}/activities?offset={huge}",
        "/employees/{e1}/dialogues?offset={huge}",
        "/team/activities?offset={huge}",
        "/team?offset={huge}",
        "/units/{a}/training-needs?programs_offset={huge}&below_offset={huge}",
    ],
)
def test_a_huge_offset_gives_an_empty_page(client: FlaskClient, world: World, path: str) -> None:
    sign_in(client, "admin")
    url = path.format(huge=HUGE, e1=world.employees["E1"], a=world.units["A"])
    assert client.get(url).status_code == 200


def test_an_unknown_job_id_in_the_query_is_not_found(client: FlaskClient, world: World) -> None:
    sign_in(client, "data")
    assert client.get(f"/models?job={HUGE}").status_code == 404


#: Ids no row can have: beyond the id columns (and the path converter's bound), and below 1.
OUT_OF_RANGE = ["2147483648", "0", "-1"]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_an_id_out_of_range_in_the_query_answers_as_an_unknown_id(
    client: FlaskClient, world: World, session: Session, value: str
) -> None:
    """One bound for the pages' ids (`forms.is_id`, the path converter's): the drafting
    run and the model job are not found, the team page chooses nobody, the team's forms
    refuse the member, as each does for an id nobody has (the job 0 showed the page)."""
    sign_in(client, "admin")
    assert client.get(f"/units/{world.units['A']}/skps?run={value}").status_code == 404
    assert client.get(f"/models?job={value}").status_code == 404
    sign_in(client, "supervisor")
    assert client.get(f"/team?member={value}").status_code == 200
    fields = {"employee_id": value, "period": "2025", "target": "rhk", "body": "Baik"}
    assert post_form(client, "/team/feedback", fields, "/team").status_code == 422


@pytest.mark.parametrize("rater", ["²", "①", HUGE, "-1", "x"])
def test_a_bad_rater_id_refuses_the_round_and_starts_nothing(
    client: FlaskClient, world: World, session: Session, rater: str
) -> None:
    sign_in(client, "supervisor")
    e1 = world.employees["E1"]
    answer = post_form(
        client, f"/employees/{e1}/feedback360", {"period": "2025", "rater_self": rater}
    )
    assert answer.status_code == 422
    assert session.scalar(select(func.count()).select_from(FeedbackRound)) == 0
