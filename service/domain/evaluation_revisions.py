"""Revisions of an evaluation: the version a change replaces, kept before it is overwritten.

A correction by the rater and an upheld objection (*keberatan*) overwrite the evaluation's
ratings; the audit log says who changed it and when, not from what. So each change keeps
the version it replaces as an `EvaluationRevision` (every column a change can set, who,
when, why), in the change's own transaction: `evaluations.revise`, through which every
change of a stored evaluation goes, calls `keep_revision`. The file import only adds
evaluations, and adding one keeps nothing (the row itself is its first version).

The oldest revision of an evaluation is what its rater first gave, which the calibration
page compares with the distribution at closing and now. Revisions are kept since migration
0023 (`KEPT_SINCE`): an evaluation changed before then has none of those changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from service.db.models import BEHAVIOR_COLUMNS
from service.db.models import Evaluation
from service.db.models import EvaluationRevision
from service.db.repositories import Page
from service.db.repositories import evaluation_revisions as repo
from service.db.repositories.access import usernames
from service.domain.audit import Actor
from service.domain.revision_terms import RevisionCause

if TYPE_CHECKING:
    from service.domain.evaluation_sheet import EvaluationSheet

_INSERT = insert(EvaluationRevision.__table__)
#: The most versions the evaluation sheet lists (a few corrections at most, in practice).
SHEET_REVISIONS = 20

#: The columns of an evaluation a change can set: what a revision keeps.
REVISED_COLUMNS = (
    "work_result_rating",
    "behavior_rating",
    *BEHAVIOR_COLUMNS.values(),
    "predikat",
    "predikat_source",
    "rater_id",
    "feedback",
)


@dataclass(frozen=True)
class RevisionView:
    """A revision with the username of who replaced it (None: the user is unknown)."""

    revision: EvaluationRevision
    revised_by: str | None


def revised_values(evaluation: Evaluation) -> dict[str, Any]:
    """The evaluation's values of `REVISED_COLUMNS`, to compare and keep."""
    return {name: getattr(evaluation, name) for name in REVISED_COLUMNS}


def keep_revision(
    session: Session,
    actor: Actor,
    evaluation: Evaluation,
    prior: dict[str, Any],
    cause: RevisionCause,
) -> None:
    """Keep the version that held `prior` as a revision, when the evaluation no longer holds
    it (a change to the same values writes no new version, so nothing is kept).

    Called before the flush, so `evaluation.version` is still the version replaced. A plain
    INSERT in the session's transaction, as `audit.record` writes its row: no ORM object or
    unit of work for a row nothing in the request reads back.
    """
    if revised_values(evaluation) == prior:
        return
    row = prior | {
        "evaluation_id": evaluation.id,
        "version": evaluation.version,
        "cause": cause,
        "revised_by_user_id": actor.user_id,
    }
    session.execute(_INSERT, row)


def sheet_revisions(session: Session, sheet: EvaluationSheet) -> list[RevisionView]:
    """The replaced versions of a sheet's evaluation, already read (and audited) with it."""
    return revision_views(session, sheet.evaluation.id, SHEET_REVISIONS, 0).items


def revision_views(
    session: Session, evaluation_id: int, limit: int, offset: int
) -> Page[RevisionView]:
    """One page of an evaluation's revisions, oldest first, with who replaced each; for a
    caller who has read the evaluation (`evaluations.list_revisions` checks and audits)."""
    page = repo.revisions_of(session, evaluation_id, limit, offset)
    names = usernames(session, [revision.revised_by_user_id for revision in page.items])
    views = [RevisionView(r, names.get(r.revised_by_user_id or 0)) for r in page.items]
    return Page(views, page.total)
