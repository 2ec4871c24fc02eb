"""Which reminders are due on a day, read from the stored records (issue 8, part 4).

- `realisation_due`, to the employee: in the last `realisation_days` days of a quarter, an
  approved SKP of the year has indicators without a realisation of the quarter (or of a month
  of it). Subject `realisation:<quarter>:employee:<id>`.
- `evaluation_due`, to the direct supervisor: an active report has no evaluation of the last
  ended quarter. Subject `evaluation:<quarter>:employee:<id>`.
- `feedback_round_waiting`, to the rater: a nominated rater of an open 360 round (not closed
  by hand, its `closes_on` not passed) has not answered. Subject
  `feedback:<round id>:rater:<rater employee id>`.
- `development_jp_low`, to the employee and the direct supervisor: from month `jp_from_month`,
  the JP completed this year are below the minimum (`development.jp_status`, so PPPK, who have
  no minimum, are never reminded). Subject `jp:<year>:employee:<id>`.
- `risk_without_dialogue`, to the direct supervisor: flagged in the latest scored quarter (by
  a score that still stands, as the risk read counts one: not outdated, of the feature set
  served, written by the model version served or, when none is, by the rule fallback, as
  the team page counts one) and no dialogue held on or after the day of the score, nor a
  supervisor's review disagreeing with the flag. Subject `risk:<quarter>:employee:<id>`.

The subject names what the reminder is about, so storing it (UNIQUE recipient, kind, subject)
makes a reminder once per subject: running every day repeats nothing. Messages are kept in
Indonesian and English, like the coaching catalogue, because they are stored and emailed
outside any request (no page language to pick from).

Settings (app config or environment, prefix `KINERJA_`):

| key | default | meaning |
|---|---|---|
| REMIND_REALISATION_DAYS | 14 | days before a quarter's end from which realisations are due |
| REMIND_JP_FROM_MONTH | 10 | month from which an employee below the JP minimum is reminded |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from service.db.repositories import reminders as repo
from service.domain.development import jp_status
from service.domain.entities import NotificationKind
from service.domain.entities import PeriodKind
from service.domain.errors import FieldError
from service.domain.errors import Invalid
from service.domain.feedback360_results import DEFAULT_MIN_GROUP_ANSWERS
from service.domain.feedback360_results import FeedbackSettings
from service.domain.periods import Period
from service.domain.periods import period_of
from service.domain.settings import PREFIX
from service.domain.settings import RuleSettings
from service.features.stored_rows import feature_set_id

Kind = NotificationKind

#: (Indonesian, English) text of each kind; `str.format` fields from the rule's row.
TEXTS: Mapping[NotificationKind, tuple[str, str]] = {
    Kind.REALISATION_DUE: (
        "Isi realisasi SKP untuk {period} sebelum {deadline}: {missing} dari {indicators} "
        "indikator belum ada realisasinya.",
        "Record your SKP realisations for {period} by {deadline}: {missing} of {indicators} "
        "indicators have none yet.",
    ),
    Kind.EVALUATION_DUE: (
        "Evaluasi kinerja {name} untuk {period} belum dibuat.",
        "The performance evaluation of {name} for {period} is not recorded yet.",
    ),
    Kind.FEEDBACK_ROUND_WAITING: (
        "Umpan balik 360 derajat untuk {name} ({period}) menunggu jawaban Anda.",
        "The 360-degree feedback round on {name} ({period}) is waiting for your answer.",
    ),
    Kind.DEVELOPMENT_JP_LOW: (
        "{name} baru menyelesaikan {completed} dari {required} JP pengembangan kompetensi "
        "tahun {year}.",
        "{name} has completed {completed} of the {required} JP of competency development "
        "required in {year}.",
    ),
    Kind.RISK_WITHOUT_DIALOGUE: (
        "{name} ditandai berisiko ({period}) dan belum ada dialog kinerja sejak {scored_on}.",
        "{name} is flagged at risk ({period}) and has had no performance dialogue since "
        "{scored_on}.",
    ),
}


@dataclass(frozen=True)
class Reminder:
    """One reminder for one user; stored once per (recipient, kind, subject_key)."""

    recipient_user_id: int
    kind: NotificationKind
    subject_key: str
    message: str
    message_en: str


@dataclass(frozen=True)
class ReminderSettings:
    """When the time-bound reminders start (see the module's table), and the 360 threshold
    served (KINERJA_FEEDBACK_MIN_GROUP_ANSWERS, `FeedbackSettings`): a flag counts only from
    a score computed under it, as the risk read counts one."""

    realisation_days: int = 14
    jp_from_month: int = 10
    min_group_answers: int = DEFAULT_MIN_GROUP_ANSWERS

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> ReminderSettings:
        """Read the settings from the app config; every bad key is reported at once."""
        values: dict[str, int] = {}
        errors = []
        for name, (key, low, high) in _KEYS.items():
            raw = mapping.get(PREFIX + key)
            if raw is None:
                continue
            text = str(raw).strip()
            if isinstance(raw, bool) or not text.isdecimal() or not low <= int(text) <= high:
                message = f"must be a whole number from {low} to {high}; got {raw!r}"
                errors.append(FieldError(PREFIX + key, message))
            else:
                values[name] = int(text)
        if errors:
            raise Invalid(errors=errors)
        return cls(
            **values, min_group_answers=FeedbackSettings.from_mapping(mapping).min_group_answers
        )


_KEYS = {
    "realisation_days": ("REMIND_REALISATION_DAYS", 0, 92),
    "jp_from_month": ("REMIND_JP_FROM_MONTH", 1, 12),
}


def due_reminders(
    session: Session,
    as_of: date,
    rules: RuleSettings,
    settings: ReminderSettings,
    model_version: str | None,
) -> list[Reminder]:
    """Every reminder due on `as_of`, of every kind; `model_version` is the risk model
    version served (None: the rule fallback answers)."""
    return [
        *realisations_due(session, as_of, settings),
        *evaluations_due(session, as_of),
        *feedback_waiting(session, as_of),
        *development_low(session, as_of, rules, settings),
        *risks_without_dialogue(session, settings.min_group_answers, model_version),
    ]


def realisations_due(session: Session, as_of: date, settings: ReminderSettings) -> list[Reminder]:
    """Employees whose approved SKP lacks realisations as the quarter's end nears."""
    quarter = period_of(as_of, PeriodKind.QUARTER)
    if as_of < quarter.ends_on - timedelta(days=settings.realisation_days):
        return []
    months = [
        Period.of(PeriodKind.MONTH, quarter.year, month).code
        for month in range(quarter.starts_on.month, quarter.ends_on.month + 1)
    ]
    rows = repo.realisation_gaps(session, quarter.year, [quarter.code, *months])
    return [
        _reminder(
            user_id,
            Kind.REALISATION_DUE,
            f"realisation:{quarter.code}:employee:{employee_id}",
            period=quarter.code,
            deadline=quarter.ends_on.isoformat(),
            missing=missing,
            indicators=indicators,
        )
        for employee_id, _name, user_id, indicators, missing in rows
    ]


def evaluations_due(session: Session, as_of: date) -> list[Reminder]:
    """Supervisors whose reports lack an evaluation of the last ended quarter."""
    ended = period_of(as_of, PeriodKind.QUARTER).previous()
    return [
        _reminder(
            user_id,
            Kind.EVALUATION_DUE,
            f"evaluation:{ended.code}:employee:{employee_id}",
            name=name,
            period=ended.code,
        )
        for employee_id, name, user_id in repo.evaluation_gaps(session, ended.code, ended.ends_on)
    ]


def feedback_waiting(session: Session, as_of: date) -> list[Reminder]:
    """Nominated raters of 360 rounds still open on `as_of` who have not answered."""
    return [
        _reminder(
            user_id,
            Kind.FEEDBACK_ROUND_WAITING,
            f"feedback:{round_id}:rater:{rater_id}",
            name=name,
            period=period,
        )
        for round_id, period, name, rater_id, user_id in repo.waiting_raters(session, as_of)
    ]


def development_low(
    session: Session, as_of: date, rules: RuleSettings, settings: ReminderSettings
) -> list[Reminder]:
    """Employees below the yearly JP minimum late in the year, and their supervisors."""
    if as_of.month < settings.jp_from_month or rules.jp_minimum_pns <= 0:
        return []
    found = []
    for employee_id, name, status, completed, user_id, boss_id in repo.jp_below(
        session, as_of.year, rules.jp_minimum_pns
    ):
        rule = jp_status(float(completed), status, as_of.year, as_of, rules)
        if rule.compliant:
            continue
        fields = {"name": name, "completed": _jp(completed), "required": _jp(rule.required)}
        subject = f"jp:{as_of.year}:employee:{employee_id}"
        for recipient in {user_id, boss_id} - {None}:
            found.append(
                _reminder(recipient, Kind.DEVELOPMENT_JP_LOW, subject, year=as_of.year, **fields)
            )
    return found


def risks_without_dialogue(
    session: Session, min_group_answers: int, model_version: str | None
) -> list[Reminder]:
    """Flagged employees of the latest scored quarter without a dialogue since the score,
    flagged by a score that still stands (not outdated, of the feature set served under the
    360 threshold `min_group_answers`) and written by what is served (`model_version`, or
    the rule fallback when None): a stale flag may be gone, and a flag of a model no longer
    served is one the risk read and the team page no longer show."""
    found = []
    features = feature_set_id(min_group_answers)
    for employee_id, name, period, scored_at, last_dialogue, user_id in repo.flagged_risks(
        session, features, model_version
    ):
        scored_on = scored_at.date()
        if last_dialogue is not None and last_dialogue >= scored_on:
            continue
        subject = f"risk:{period}:employee:{employee_id}"
        fields = {"name": name, "period": period, "scored_on": scored_on.isoformat()}
        found.append(_reminder(user_id, Kind.RISK_WITHOUT_DIALOGUE, subject, **fields))
    return found


def _reminder(user_id: int, kind: NotificationKind, subject: str, **fields: Any) -> Reminder:
    indonesian, english = TEXTS[kind]
    return Reminder(user_id, kind, subject, indonesian.format(**fields), english.format(**fields))


def _jp(value: float) -> str:
    return f"{float(value):g}"
