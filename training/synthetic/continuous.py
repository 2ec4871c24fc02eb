"""Continuous-performance records: activity logs, 360-degree feedback and dialogues.

They are drawn from their own random stream (`default_rng([seed, SIGNALS_STREAM, chunk])`),
so adding them changed none of the other generated rows, and they never feed back into the
causal equations: they are observations of the hidden state, with a known relationship.

Per employee i and quarter t (m_t motivation, d disposition, w_t true performance, see
`causal.py`):

- **Activity log** (laporan kinerja harian): a fixed `ADOPTION` share of people use it at
  all (chosen by employee id, so it is stable across quarters). An adopter writes at least
  one entry in a month with probability logistic(`LOG_BASE` + `LOG_MOTIVATION` m_t), a single
  row dated on a random day of that month. Regularity is an early signal of motivation.
- **360 feedback**: each person has one round a year, in quarter 1 + (id mod 4). Raters are
  the supervisor, the person (self) and up to `PEERS` colleagues of the same unit; each
  answers with probability `ANSWER_RATE`. A rater r scores each BerAKHLAK value from
  0.6 d + 0.4 m_t + `RATER_NOISE_SD` g_r + `VALUE_NOISE_SD` u (no supervisor leniency, unlike
  the evaluation), rated at the evaluation's behaviour thresholds. Peer groups below the
  anonymity threshold are never shown, so the features skip them too.
- **Dialogue** (dialog kinerja): the supervisor holds one in the quarter's last month with
  probability `DIALOGUE_BASE`, or `DIALOGUE_LOW` when w_t < `LOW_WORK`, agreeing on one or
  two actions due 45 days later. Each action is reviewed on its due date in quarter t+1 and
  is done with probability logistic(`DONE_BASE` + `DONE_MOTIVATION` m_{t+1}), so
  follow-through observed by the end of t+1 signals motivation at t+1. Actions still due
  after the last quarter stay unreviewed (done NULL).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np

from service.db.models import BEHAVIOR_COLUMNS
from service.domain.entities import DialogueKind
from service.domain.periods import Period
from training.synthetic import causal
from training.synthetic.ids import IdBlock
from training.synthetic.writer import Batch

if TYPE_CHECKING:
    from training.synthetic.history import Chunk

SIGNALS_STREAM = 0x5167
ADOPTION = 0.6
LOG_BASE, LOG_MOTIVATION = 0.6, 1.2
PEERS, ANSWER_RATE = 4, 0.8
RATER_NOISE_SD, VALUE_NOISE_SD = 0.4, 0.5
DIALOGUE_BASE, DIALOGUE_LOW, LOW_WORK = 0.06, 0.35, -0.8
DONE_BASE, DONE_MOTIVATION = 0.4, 1.3
ACTION_DAYS = 45
ACTIVITIES = (
    "Menyusun laporan kegiatan",
    "Melayani permohonan masyarakat",
    "Rapat koordinasi unit",
    "Memverifikasi dokumen",
)
ACTIONS = ("Menyelesaikan tunggakan pekerjaan", "Mengikuti pelatihan", "Memperbaiki laporan")


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class Pending:
    """Dialogue actions agreed in the previous quarter, reviewed in this one."""

    dialogue_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    people: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    due: list[str] = field(default_factory=list)


def activity_logs(
    ids: IdBlock,
    employees: np.ndarray,
    period: Period,
    motivation: np.ndarray,
    rng: np.random.Generator,
) -> Batch:
    """Monthly activity-log entries of the adopters (see the module docstring)."""
    adopter = (employees * 2654435761 % 1000) < ADOPTION * 1000
    chance = _logistic(LOG_BASE + LOG_MOTIVATION * motivation)
    who, dates = [], []
    for month in range(period.starts_on.month, period.ends_on.month + 1):
        logged = np.flatnonzero(adopter & (rng.random(len(employees)) < chance))
        day = rng.integers(1, 29, len(logged))
        who.append(logged)
        dates.extend(f"{period.year}-{month:02d}-{d:02d}" for d in day.tolist())
    rows = np.concatenate(who)
    texts = np.array(ACTIVITIES, dtype=object)[rng.integers(len(ACTIVITIES), size=len(rows))]
    return Batch(
        "activity_logs",
        {
            "id": ids.take("activity_logs", len(rows)),
            "employee_id": employees[rows],
            "activity_date": dates,
            "description": texts,
            "status": np.full(len(rows), "submitted"),
        },
    )


def peer_indices(unit: np.ndarray, supervisor: np.ndarray) -> np.ndarray:
    """(n, PEERS) local indices of colleagues in the same unit (-1 where there are too few)."""
    order = np.argsort(unit, kind="stable")
    sorted_unit = unit[order]
    start = np.searchsorted(sorted_unit, sorted_unit, side="left")
    size = np.searchsorted(sorted_unit, sorted_unit, side="right") - start
    position = np.arange(len(unit)) - start
    peers = np.full((len(unit), PEERS), -1, dtype=np.int64)
    for j in range(1, PEERS + 1):
        local = order[start + (position + j) % size]
        ok = (size > j) & (local != supervisor[order])
        peers[order[ok], j - 1] = local[ok]
    return peers


def feedback360(
    chunk: Chunk, period: Period, motivation: np.ndarray, rng: np.random.Generator
) -> list[Batch]:
    """The quarter's 360 rounds: rounds, nominated raters and their answers."""
    people, ids = chunk.people, chunk.ids
    employees = ids.employees
    due = np.flatnonzero(employees % 4 + 1 == period.index)
    peers = peer_indices(people.unit, people.supervisor)[due]
    groups = np.c_[people.supervisor[due], due, peers]
    names = np.array(["supervisor", "self"] + ["peer"] * PEERS, dtype=object)
    row, col = np.nonzero(groups >= 0)
    rater_local = groups[row, col]
    answered = rng.random(len(row)) < ANSWER_RATE
    round_ids = ids.take("feedback_rounds", len(due))
    rater_ids = ids.take("feedback_raters", len(row))
    ends = f"{period.ends_on.isoformat()} 23:00:00"
    target = due[row]
    latent = 0.6 * people.disposition[target] + 0.4 * motivation[target]
    latent = latent + RATER_NOISE_SD * rng.standard_normal(len(row))
    scores = latent[:, None] + VALUE_NOISE_SD * rng.standard_normal((len(row), 7))
    codes = causal.rate(scores, causal.PARAMS.behavior_below, causal.PARAMS.behavior_above)
    labels = np.array([rating.value for rating in causal.RATINGS], dtype=object)
    answers = {
        "id": ids.take("feedback_answers", int(answered.sum())),
        "rater_id": rater_ids[answered],
    }
    for j, column in enumerate(BEHAVIOR_COLUMNS.values()):
        answers[column] = labels[codes[answered, j]]
    return [
        Batch(
            "feedback_rounds",
            {
                "id": round_ids,
                "employee_id": employees[due],
                "period": np.full(len(due), period.code),
                "status": np.full(len(due), "closed"),
                "closes_on": np.full(len(due), period.ends_on.isoformat()),
                "closed_at": np.full(len(due), ends),
            },
        ),
        Batch(
            "feedback_raters",
            {
                "id": rater_ids,
                "round_id": round_ids[row],
                "rater_employee_id": employees[rater_local],
                "rater_group": names[col],
                "answered_at": [ends if a else None for a in answered],
            },
        ),
        Batch("feedback_answers", answers),
    ]


def dialogues(
    chunk: Chunk,
    period: Period,
    work: np.ndarray,
    motivation: np.ndarray,
    pending: Pending,
    rng: np.random.Generator,
) -> Iterator[Batch]:
    """Review last quarter's agreed actions, then hold this quarter's dialogues."""
    people, ids = chunk.people, chunk.ids
    yield _actions(ids, pending, motivation, True, rng)
    chance = np.where(work < LOW_WORK, DIALOGUE_LOW, DIALOGUE_BASE)
    who = np.flatnonzero((rng.random(len(work)) < chance) & (people.supervisor >= 0))
    held = [period.ends_on - timedelta(days=int(d)) for d in rng.integers(1, 28, len(who))]
    due = [(day + timedelta(days=ACTION_DAYS)).isoformat() for day in held]
    dialogue_ids = ids.take("performance_dialogues", len(who))
    yield Batch(
        "performance_dialogues",
        {
            "id": dialogue_ids,
            "employee_id": ids.employees[who],
            "supervisor_employee_id": ids.employees[people.supervisor[who]],
            "held_on": [day.isoformat() for day in held],
            "kind": np.full(len(who), DialogueKind.DIALOG.value),
            "topics": np.full(len(who), "Capaian RHK dan perilaku kerja"),
            "follow_up_on": due,
        },
    )
    count = rng.integers(1, 3, len(who))
    pending.dialogue_ids = np.repeat(dialogue_ids, count)
    pending.people = np.repeat(who, count)
    pending.due = list(np.repeat(np.array(due, dtype=object), count))


def _actions(
    ids: IdBlock,
    pending: Pending,
    motivation: np.ndarray,
    review: bool,
    rng: np.random.Generator,
) -> Batch:
    """Write the pending actions: reviewed (done or not) on their due date, or still open."""
    n = len(pending.dialogue_ids)
    done = np.zeros(n, dtype=bool)
    if review:
        chance = _logistic(DONE_BASE + DONE_MOTIVATION * motivation[pending.people])
        done = rng.random(n) < chance
    text = np.array(ACTIONS, dtype=object)[rng.integers(len(ACTIONS), size=n)]
    return Batch(
        "dialogue_actions",
        {
            "id": ids.take("dialogue_actions", n),
            "dialogue_id": pending.dialogue_ids,
            "description": text,
            "due_on": pending.due,
            "done": [bool(x) for x in done] if review else [None] * n,
            "reviewed_at": [f"{d} 10:00:00" for d in pending.due] if review else [None] * n,
        },
    )


def close(ids: IdBlock, pending: Pending, rng: np.random.Generator) -> Batch:
    """After the last quarter: the actions still due stay open (not reviewed yet)."""
    return _actions(ids, pending, np.zeros(0), False, rng)
