"""Use cases for evaluations: record (by the rater), correct, read.

Acceptance is decided by `evaluation_input.parse_evaluation`, the same function the file
import uses, so the API and the import accept and refuse the same things and write the same
columns. One evaluation per employee and period: a second is a Conflict (409).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Row
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from service.auth import policy
from service.db.models import BEHAVIOR_COLUMNS
from service.db.models import Evaluation
from service.db.repositories import Page
from service.db.repositories import performance as repo
from service.db.repositories.objections import objection_of
from service.db.repositories.risk import forget_scores
from service.db.repositories.risk import month_ordinal
from service.db.thread_connections import Prepared
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.audit import record_read
from service.domain.audit import record_read_now
from service.domain.audit import record_reads
from service.domain.calibration_lock import check_open
from service.domain.errors import Conflict
from service.domain.evaluation_input import WRITE_COLUMNS
from service.domain.evaluation_input import ensure_period
from service.domain.evaluation_input import evaluation_columns
from service.domain.evaluation_input import parse_evaluation
from service.domain.evaluation_revisions import RevisionView
from service.domain.evaluation_revisions import keep_revision
from service.domain.evaluation_revisions import revised_values
from service.domain.evaluation_revisions import revision_views
from service.domain.exports import ExportFormat
from service.domain.exports import unit_subtree
from service.domain.objection_terms import ObjectionStatus
from service.domain.organisation import check_version
from service.domain.periods import parse_period
from service.domain.revision_terms import RevisionCause
from service.domain.transfers import export_file

RESOURCE = "evaluation"
_TABLE = Evaluation.__table__
_UPSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_INSERTS: dict[str, Prepared] = {}


class NewEvaluation(SimpleNamespace):
    """A just-inserted evaluation row, read like an `Evaluation`: its columns as attributes.

    The answer and the team page only read them; building an ORM instance (one instrumented
    set per column) cost a twentieth of the write's CPU, for an object no session holds.
    """


def record_evaluation(
    session: Session, actor: Actor, employee_id: int, data: Mapping[str, Any]
) -> NewEvaluation:
    """Store the rater's evaluation of one period with its computed predikat (409 while a
    calibration closing of the period covers the employee: `calibration_closings`).

    Returns the stored row's columns, id and version (to answer with).
    """
    inp = parse_evaluation(data)
    policy.rated_employee(session, actor, employee_id, inp.period.year)
    check_open(session, employee_id, inp.period.code)
    ensure_period(session, inp.period)
    columns = {"employee_id": employee_id, "rater_id": actor.employee_id}
    columns |= evaluation_columns(inp)
    connection = session.connection()
    # Before the INSERT, which takes SQLite's write lock: usually a read only (nothing stored
    # to outdate), so the lock is not held during it. A duplicate rolls it back.
    rated = [] if actor.employee_id is None else [(actor.employee_id, inp.period.code)]
    dated = {employee_id: month_ordinal(inp.period.code)}
    forget_scores(connection, rated=rated, dated=dated)  # as `serving.freshness`
    stored = _insert(connection.dialect.name).first_on(connection, columns)
    if stored is None:
        raise Conflict(f"employee {employee_id} already has an evaluation for {inp.period.code}")
    evaluation = NewEvaluation(id=stored.id, version=stored.version, **columns)
    record(
        session,
        actor,
        AuditAction.CREATE,
        RESOURCE,
        employee_id=employee_id,
        resource_id=evaluation.id,
    )
    return evaluation


def _insert(dialect: str) -> Prepared:
    """The INSERT of one evaluation, built once per dialect: its id and version, or no row
    when the employee already has one for the period (the unique constraint, no prior SELECT).

    On the session's connection, not through `session.execute`: the ORM's statement handling
    cost as much as the database's work, and this row needs no unit of work. Bypassing the
    session also bypasses `serving.freshness`'s watch, so the caller outdates the scores.
    Prepared (`thread_connections.Prepared`): on SQLite compiled once and run on the
    driver's cursor, 30-40 us of CPU less than SQLAlchemy's execution of it.
    """
    prepared = _INSERTS.get(dialect)
    if prepared is None:
        upsert = _UPSERT.get(dialect)
        if upsert is None:  # no ON CONFLICT: a duplicate is the constraint's IntegrityError
            statement = insert(_TABLE)
        else:
            keys = ["employee_id", "period"]
            statement = upsert(_TABLE).on_conflict_do_nothing(index_elements=keys)
        statement = statement.returning(_TABLE.c.id, _TABLE.c.version)
        prepared = _INSERTS[dialect] = Prepared(statement, WRITE_COLUMNS)
    return prepared


def update_evaluation(
    session: Session,
    actor: Actor,
    evaluation_id: int,
    expected_version: int | None,
    changes: Mapping[str, Any],
) -> Evaluation:
    """Correct the ratings or feedback of an evaluation; the predikat is recomputed.

    Not while a calibration closing covers it (`calibration_lock.check_open`, 409), nor
    once its employee has objected: the rater's superior decides a pending objection and
    that decision is final (409), unless the employee withdrew it. Only the rater who gave
    it, while still their rater (`policy.corrects_evaluation`).
    """
    evaluation = _visible(session, actor, evaluation_id)
    policy.corrects_evaluation(session, actor, evaluation)
    check_version(evaluation.version, expected_version)
    check_open(session, evaluation.employee_id, evaluation.period)
    objection = objection_of(session, evaluation.id)
    if objection is not None and objection.status is not ObjectionStatus.WITHDRAWN:
        raise Conflict(
            f"evaluation {evaluation_id} has objection {objection.id} "
            f"({objection.status.value}): the rater's superior decides it, not the rater"
        )
    revise(session, actor, evaluation, changes, RevisionCause.CORRECTION, actor.employee_id)
    session.flush()
    record(
        session,
        actor,
        AuditAction.UPDATE,
        RESOURCE,
        employee_id=evaluation.employee_id,
        resource_id=evaluation.id,
    )
    return evaluation


def revise(
    session: Session,
    actor: Actor,
    evaluation: Evaluation,
    changes: Mapping[str, Any],
    cause: RevisionCause,
    rater_id: int | None = None,
) -> None:
    """Merge changed ratings or feedback into a stored evaluation and recompute its predikat,
    by the same rules as a new one (`parse_evaluation`), keeping the version it replaces
    (`evaluation_revisions.keep_revision`): the rater's correction and an upheld objection
    (`objections.decide`) change an evaluation this one way. `rater_id` names the rater
    who gives the changed evaluation (the correcting one); None keeps the rater."""
    prior = revised_values(evaluation)
    inp = parse_evaluation(_current_input(evaluation) | dict(changes))
    for name, value in evaluation_columns(inp).items():
        setattr(evaluation, name, value)
    if rater_id is not None:
        evaluation.rater_id = rater_id
    keep_revision(session, actor, evaluation, prior, cause)


def read_evaluation(session: Session, actor: Actor, evaluation_id: int) -> Row[Any]:
    """Return one visible evaluation's columns, auditing a read of someone else's.

    The stored row, not an ORM object (nothing here changes it): the same rule, 404 and
    audit row as `_visible`, for a tenth less of the read's CPU. A session with nothing in
    progress (the API's) opens no transaction: the row is read alone and the audit row
    committed at once, as the request's commit right after would have.
    """
    alone = not session.in_transaction()
    found = repo.evaluation_row(session, evaluation_id)
    row, place = found if found is not None else (None, None)
    evaluation = policy.owned_record(session, actor, row, f"evaluation {evaluation_id}", place)
    audit = record_read_now if alone else record_read
    audit(session, actor, RESOURCE, evaluation.employee_id)
    return evaluation


def list_revisions(
    session: Session, actor: Actor, evaluation_id: int, limit: int, offset: int
) -> Page[RevisionView]:
    """The versions of a visible evaluation that changes replaced, oldest first, each with
    who replaced it, when and why; read (and audited) as the evaluation is."""
    read_evaluation(session, actor, evaluation_id)
    return revision_views(session, evaluation_id, limit, offset)


def list_evaluations(
    session: Session,
    actor: Actor,
    employee_id: int,
    limit: int,
    offset: int,
    period: str | None = None,
) -> Page[Evaluation]:
    """List a visible employee's evaluations, auditing a read of someone else's."""
    policy.visible_employee(session, actor, employee_id)
    record_read(session, actor, RESOURCE, employee_id)
    return repo.list_evaluations(session, employee_id, limit, offset, period)


def export_unit_evaluations(
    session: Session, actor: Actor, unit_id: int, period: str, fmt: ExportFormat
) -> bytes:
    """Export a visible unit's evaluations of a period (`transfers.export_file`, which
    audits the export of the unit) and audit a read of each exported employee's evaluation,
    so the log of each of them shows it."""
    content = export_file(session, actor, unit_id, period, fmt)
    units = select(unit_subtree(unit_id).c.id)
    exported = repo.evaluated_in_units(session, units, parse_period(period).code)
    record_reads(session, actor, RESOURCE, exported)
    return content


def _visible(session: Session, actor: Actor, evaluation_id: int) -> Evaluation:
    found = repo.get_evaluation(session, evaluation_id)
    evaluation, employee = found if found is not None else (None, None)
    return policy.owned_record(session, actor, evaluation, f"evaluation {evaluation_id}", employee)


def _current_input(evaluation: Evaluation) -> dict[str, Any]:
    """Rebuild the raw input of a stored evaluation, to merge a correction into it."""
    ratings = {
        value.value: getattr(evaluation, column).value
        for value, column in BEHAVIOR_COLUMNS.items()
        if getattr(evaluation, column) is not None
    }
    return {
        "period": evaluation.period,
        "work_result_rating": evaluation.work_result_rating.value,
        "behavior_rating": evaluation.behavior_rating.value,
        "behavior_ratings": ratings,
        "feedback": evaluation.feedback,
    }
