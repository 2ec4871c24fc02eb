"""Use cases of 360-degree feedback on BerAKHLAK behaviour (issue 8, part 2).

Who does what:
- **Start a round** (`start_round`): a supervisor above the employee, hr over the employee's
  unit, or an admin; never the employee. One round per employee and period (409 on a second).
- **Nominate** with the round, per group. `self` is the employee. `supervisor` is the direct
  supervisor; hr and admin may also name a supervisor higher in the chain. A supervisor
  nominates `peer`s who share the employee's direct supervisor and `subordinate`s who report
  directly to the employee, so the organisation vouches for each relation. hr and admin may
  nominate anyone they see as a peer (cross-team colleagues), and anyone below the employee in
  the chain as a subordinate; nobody above the employee may hide in an anonymous group. Each
  person once per round; an anonymous group has none or at least the threshold of people.
- **Answer** (`answer_round`): only a nominated rater, once (409 on a second), while the
  round is open; all seven values are rated, a comment is optional.
- **Read** a round, its list or its results: whoever may see the employee's records (the
  employee, supervisors above, hr over the unit, admin, the SKP's appointed rater). Raters
  who are none of these get 404. What the results contain is decided in
  `feedback360_results` (aggregates only, never one answer).

Audit: creating, closing and every read of someone else's round leave a row against the rated
employee. An answer's row names the rater as actor and carries the rater's own employee id,
not the rated employee's and not the round: who answered is not part of the rated employee's
access history.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime

from sqlalchemy.orm import Session

from service.auth import policy
from service.db.models import BEHAVIOR_COLUMNS
from service.db.models import Employee
from service.db.models import FeedbackAnswer
from service.db.models import FeedbackRater
from service.db.models import FeedbackRound
from service.db.repositories import Page
from service.db.repositories import feedback360 as repo
from service.db.repositories import organisation as org_repo
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.audit import record_read
from service.domain.entities import BerakhlakValue
from service.domain.entities import Rating
from service.domain.entities import Role
from service.domain.errors import Conflict
from service.domain.errors import FieldError
from service.domain.errors import Forbidden
from service.domain.errors import Invalid
from service.domain.errors import NotFound
from service.domain.evaluation_input import ensure_period
from service.domain.feedback360_results import FeedbackSettings
from service.domain.feedback360_results import RoundResults
from service.domain.feedback360_results import build_results
from service.domain.feedback360_results import effective_status
from service.domain.feedback360_terms import ANONYMOUS_GROUPS
from service.domain.feedback360_terms import RaterGroup
from service.domain.feedback360_terms import RoundStatus
from service.domain.periods import parse_period

GroupCounts = dict[RaterGroup, tuple[int, int]]


@dataclass(frozen=True)
class RoundDetail:
    """A round as readers see it: counts per group, never who was nominated or answered."""

    round: FeedbackRound
    status: RoundStatus
    groups: GroupCounts


@dataclass(frozen=True)
class FeedbackRequest:
    """A round waiting for the caller's answer."""

    round_id: int
    employee_id: int
    employee_name: str
    period: str
    group: RaterGroup
    anonymous: bool
    closes_on: date | None


@dataclass(frozen=True)
class Nomination:
    employee_id: int
    group: RaterGroup


def start_round(
    session: Session,
    actor: Actor,
    employee_id: int,
    period: str,
    raters: Sequence[Nomination],
    settings: FeedbackSettings,
    closes_on: date | None = None,
    today: date | None = None,
) -> RoundDetail:
    """Open a round on an employee's behaviour for `period` with its nominated raters."""
    parsed = parse_period(period)
    employee = policy.led_employee(session, actor, employee_id)
    if closes_on is not None and closes_on < (today or date.today()):
        raise Invalid.field("closes_on", f"{closes_on} has passed; give today or a later day")
    _check_nominations(session, actor, employee, raters, settings.min_group_answers)
    if repo.round_exists(session, employee_id, parsed.code):
        raise Conflict(f"employee {employee_id} already has a feedback round for {parsed.code}")
    ensure_period(session, parsed)
    feedback_round = FeedbackRound(
        employee_id=employee_id,
        period=parsed.code,
        status=RoundStatus.OPEN,
        created_by=actor.user_id,
        closes_on=closes_on,
    )
    session.add(feedback_round)
    session.flush()
    session.add_all(
        FeedbackRater(
            round_id=feedback_round.id, rater_employee_id=n.employee_id, rater_group=n.group
        )
        for n in raters
    )
    session.flush()
    record(
        session,
        actor,
        AuditAction.CREATE,
        "feedback_round",
        employee_id=employee_id,
        resource_id=feedback_round.id,
    )
    return _detail(session, feedback_round, today)


def close_round(
    session: Session, actor: Actor, round_id: int, today: date | None = None
) -> RoundDetail:
    """Close an open round by hand (who may start it may close it); 409 when closed."""
    feedback_round = _visible_round(session, actor, round_id)
    policy.led_employee(session, actor, feedback_round.employee_id)
    if effective_status(feedback_round, today or date.today()) is RoundStatus.CLOSED:
        raise Conflict(f"feedback round {round_id} is already closed")
    feedback_round.status = RoundStatus.CLOSED
    feedback_round.closed_at = datetime.now(UTC)
    session.flush()
    record(
        session,
        actor,
        AuditAction.UPDATE,
        "feedback_round",
        employee_id=feedback_round.employee_id,
        resource_id=round_id,
    )
    return _detail(session, feedback_round, today)


def read_round(
    session: Session, actor: Actor, round_id: int, today: date | None = None
) -> RoundDetail:
    """Return a round with its counts per group (a read of someone else's is audited)."""
    feedback_round = _visible_round(session, actor, round_id)
    record_read(session, actor, "feedback_round", feedback_round.employee_id)
    return _detail(session, feedback_round, today)


def list_rounds(
    session: Session,
    actor: Actor,
    employee_id: int,
    limit: int,
    offset: int,
    today: date | None = None,
) -> Page[RoundDetail]:
    """List the rounds on a visible employee, newest first."""
    policy.visible_employee(session, actor, employee_id)
    record_read(session, actor, "feedback_round", employee_id)
    page = repo.rounds_of(session, employee_id, limit, offset)
    counts = repo.group_counts(session, [r.id for r in page.items])
    day = today or date.today()
    items = [RoundDetail(r, effective_status(r, day), counts.get(r.id, {})) for r in page.items]
    return Page(items, page.total)


def my_requests(
    session: Session, actor: Actor, limit: int, offset: int, today: date | None = None
) -> Page[FeedbackRequest]:
    """List the open rounds that wait for the caller's answer (their own nominations only)."""
    if actor.employee_id is None:
        return Page([], 0)
    page = repo.pending_requests(session, actor.employee_id, today or date.today(), limit, offset)
    items = [
        FeedbackRequest(
            round_id=feedback_round.id,
            employee_id=feedback_round.employee_id,
            employee_name=name,
            period=feedback_round.period,
            group=rater.rater_group,
            anonymous=rater.rater_group in ANONYMOUS_GROUPS,
            closes_on=feedback_round.closes_on,
        )
        for rater, feedback_round, name in page.items
    ]
    return Page(items, page.total)


def answer_round(
    session: Session,
    actor: Actor,
    round_id: int,
    ratings: Mapping[BerakhlakValue, Rating],
    comment: str | None = None,
    today: date | None = None,
) -> tuple[FeedbackAnswer, FeedbackRater]:
    """Store a nominated rater's answer, once, while the round is open."""
    rater = _own_nomination(session, actor, round_id)
    day = today or date.today()
    _check_open(session, round_id, day)
    missing = [value.value for value in BerakhlakValue if value not in ratings]
    if missing:
        raise Invalid(errors=[FieldError(f"ratings.{v}", "rate every value") for v in missing])
    now = datetime.now(UTC)
    if rater.answered_at is not None or not repo.mark_answered(session, rater.id, now, day):
        _check_open(session, round_id, day)  # a close that came first is named as such
        raise Conflict(f"you already answered feedback round {round_id}; each rater answers once")
    columns = {BEHAVIOR_COLUMNS[value]: ratings[value] for value in BerakhlakValue}
    answer = FeedbackAnswer(rater_id=rater.id, comment=comment or None, **columns)
    session.add(answer)
    session.flush()
    session.refresh(rater)
    record(session, actor, AuditAction.CREATE, "feedback_answer", employee_id=actor.employee_id)
    return answer, rater


def round_results(
    session: Session,
    actor: Actor,
    round_id: int,
    settings: FeedbackSettings,
    today: date | None = None,
) -> RoundResults:
    """Return the round's aggregates per rater group, as `feedback360_results` allows."""
    feedback_round = _visible_round(session, actor, round_id)
    record_read(session, actor, "feedback_results", feedback_round.employee_id)
    return _results(session, actor, feedback_round, settings, today)


def latest_results(
    session: Session,
    actor: Actor,
    employee_id: int,
    settings: FeedbackSettings,
    today: date | None = None,
) -> RoundResults | None:
    """The results of the employee's latest closed round, for the evaluation form."""
    policy.visible_employee(session, actor, employee_id)
    feedback_round = repo.latest_closed_round(session, employee_id, today or date.today())
    if feedback_round is None:
        return None
    record_read(session, actor, "feedback_results", employee_id)
    return _results(session, actor, feedback_round, settings, today)


def _results(
    session: Session,
    actor: Actor,
    feedback_round: FeedbackRound,
    settings: FeedbackSettings,
    today: date | None,
) -> RoundResults:
    status = effective_status(feedback_round, today or date.today())
    counts = repo.group_counts(session, [feedback_round.id]).get(feedback_round.id, {})
    answers = repo.answers_of(session, feedback_round.id) if status is RoundStatus.CLOSED else []
    return build_results(feedback_round, status, counts, answers, actor.employee_id, settings)


def _visible_round(session: Session, actor: Actor, round_id: int) -> FeedbackRound:
    """Return the round when the caller may see its employee's records; 404 otherwise."""
    feedback_round = repo.get_round(session, round_id)
    if feedback_round is not None:
        employee = org_repo.get_employee(session, feedback_round.employee_id)
        if employee is not None and policy.can_see(session, actor, employee):
            return feedback_round
    raise NotFound(f"no feedback round {round_id} visible to you")


def _check_open(session: Session, round_id: int, day: date) -> None:
    """Refuse (409) an answer to a round that is closed; holds the round until the answer
    commits (`repo.lock_round`), so a close cannot land between the check and the answer."""
    feedback_round = repo.lock_round(session, round_id)
    assert feedback_round is not None  # a nomination references it
    if effective_status(feedback_round, day) is RoundStatus.CLOSED:
        raise Conflict(f"feedback round {round_id} is closed and takes no more answers")


def _own_nomination(session: Session, actor: Actor, round_id: int) -> FeedbackRater:
    """The caller's nomination in the round: 404 for a round they may not know, 403 when they
    see the round but are not nominated."""
    rater = None
    if actor.employee_id is not None:
        rater = repo.rater_of(session, round_id, actor.employee_id)
    if rater is not None:
        return rater
    _visible_round(session, actor, round_id)
    raise Forbidden(f"you are not a nominated rater of feedback round {round_id}")


def _detail(session: Session, feedback_round: FeedbackRound, today: date | None) -> RoundDetail:
    counts = repo.group_counts(session, [feedback_round.id]).get(feedback_round.id, {})
    return RoundDetail(
        feedback_round, effective_status(feedback_round, today or date.today()), counts
    )


# --- nominations -----------------------------------------------------------------------------


def _check_nominations(
    session: Session,
    actor: Actor,
    employee: Employee,
    raters: Sequence[Nomination],
    minimum: int,
) -> None:
    """Refuse (422, one error per bad nomination) raters the rules above do not allow."""
    errors: list[FieldError] = []
    if not raters:
        errors.append(FieldError("raters", "nominate at least one rater"))
    people = repo.employees_by_id(session, [n.employee_id for n in raters])
    seen: set[int] = set()
    for index, nomination in enumerate(raters):
        field = f"raters.{index}.employee_id"
        person = people.get(nomination.employee_id)
        if nomination.employee_id in seen:
            problem: str | None = "is nominated twice; each person rates once per round"
        elif person is None or not policy.can_see(session, actor, person):
            problem = f"no employee {nomination.employee_id} visible to you"
        else:
            problem = _relation_problem(session, actor, employee, person, nomination.group)
        seen.add(nomination.employee_id)
        if problem:
            errors.append(FieldError(field, problem))
    for group in ANONYMOUS_GROUPS:
        size = sum(1 for n in raters if n.group is group)
        if 0 < size < minimum:
            message = f"nominate none or at least {minimum} ({group.value}s are anonymous)"
            errors.append(FieldError("raters", message))
    if errors:
        raise Invalid(errors=errors)


def _relation_problem(
    session: Session, actor: Actor, employee: Employee, person: Employee, group: RaterGroup
) -> str | None:
    """Why `person` may not rate `employee` in `group`, or None when they may."""
    if not person.is_active:
        return "is not an active employee"
    if group is RaterGroup.SELF:
        return None if person.id == employee.id else "the self group is the employee only"
    if person.id == employee.id:
        return "the employee rates themselves in the self group only"
    broad = actor.role in (Role.ADMIN, Role.HR) and policy.may_manage(session, actor, employee)
    above = org_repo.is_subordinate(session, employee.id, person.id)
    if group is RaterGroup.SUPERVISOR:
        if person.id == employee.supervisor_id or (broad and above):
            return None
        return "must be the employee's direct supervisor"
    if above:
        return "is above the employee in the chain; nominate them as supervisor"
    if group is RaterGroup.PEER:
        peers = (
            employee.supervisor_id is not None and person.supervisor_id == employee.supervisor_id
        )
        return None if peers or broad else "must share the employee's direct supervisor"
    below = person.supervisor_id == employee.id or (
        broad and org_repo.is_subordinate(session, person.id, employee.id)
    )
    return None if below else "must report to the employee"
