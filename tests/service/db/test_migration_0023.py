"""Migration 0023 keeps evaluation revisions append-only, like the audit log: the database
refuses to change, remove or truncate a kept version; its downgrade drops the table and its
triggers and leaves the evaluations as they stand."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy import inspect
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.db.migrate import downgrade
from service.db.migrate import upgrade
from service.db.models import EvaluationRevision
from service.domain.revision_terms import RevisionCause
from tests.factories import make_evaluation
from tests.service.db.test_migrations import empty_engine  # noqa: F401 (fixture)
from tests.service.db.test_migrations import pg_admin  # noqa: F401 (fixture)

APPEND_ONLY = "evaluation_revisions is append-only"
REFUSED = [
    "UPDATE evaluation_revisions SET predikat = 'baik'",
    "DELETE FROM evaluation_revisions",
    "TRUNCATE evaluation_revisions",
]


def _kept_revision(engine: Engine, period: str = "2025") -> int:
    """Store an evaluation and one revision of it; return the evaluation's id."""
    with Session(engine) as session, session.begin():
        evaluation = make_evaluation(session, period=period)
        prior = {
            "work_result_rating": evaluation.work_result_rating,
            "behavior_rating": evaluation.behavior_rating,
            "predikat": evaluation.predikat,
            "predikat_source": evaluation.predikat_source,
        }
        session.add(
            EvaluationRevision(
                evaluation_id=evaluation.id, version=1, cause=RevisionCause.CORRECTION, **prior
            )
        )
        return evaluation.id


def test_0023_refuses_changes_of_revisions_and_its_downgrade_keeps_evaluations(
    empty_engine: Engine,  # noqa: F811
) -> None:
    upgrade(empty_engine, "0023")
    evaluation_id = _kept_revision(empty_engine)
    statements = REFUSED if empty_engine.dialect.name == "postgresql" else REFUSED[:2]
    for statement in statements:
        with pytest.raises(IntegrityError, match=APPEND_ONLY), empty_engine.begin() as db:
            db.execute(text(statement))
    with empty_engine.connect() as connection:
        kept = connection.execute(text("SELECT predikat FROM evaluation_revisions")).all()
    assert [tuple(row) for row in kept] == [("baik",)]

    downgrade(empty_engine, "0022")
    assert "evaluation_revisions" not in inspect(empty_engine).get_table_names()
    with empty_engine.connect() as connection:
        ids = connection.execute(text("SELECT id FROM evaluations")).scalars().all()
    assert ids == [evaluation_id]
    upgrade(empty_engine, "0023")  # the table comes back with its triggers
    _kept_revision(empty_engine, "2024")
    with pytest.raises(IntegrityError, match=APPEND_ONLY), empty_engine.begin() as db:
        db.execute(text(REFUSED[1]))
