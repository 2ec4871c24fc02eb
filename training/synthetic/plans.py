"""Performance plans and their records: SKP, RHK, indicators, realisations, feedback notes.

Every employee gets one SKP per year (model jpt for JPT tiers, ja_jf otherwise; set by the
supervisor at the end of January) with 3-5 RHK, the last one sometimes `tambahan`; each
`utama` RHK of a supervised employee supports one of the supervisor's RHK (intervensi). Each
RHK has one numeric indicator. Realisations follow true performance w (not the rating):
kuantitas indicators realise target/4 x max(0, 1 + 0.15 w) x (1 + 5% noise) per quarter,
kualitas indicators a percentage near the target moved by w. Feedback notes are occasional,
and more likely (and constructive) when performance is low.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from service.domain.entities import FeedbackTarget
from service.domain.entities import IndicatorAspect
from service.domain.entities import RhkKind
from service.domain.entities import SkpApproach
from service.domain.entities import SkpModel
from service.domain.entities import SkpStatus
from service.domain.periods import Period
from training.synthetic.ids import IdBlock
from training.synthetic.people import People
from training.synthetic.vocabulary import FEEDBACK_CONSTRUCTIVE
from training.synthetic.vocabulary import FEEDBACK_POSITIVE
from training.synthetic.vocabulary import INDICATORS
from training.synthetic.vocabulary import RHK_TEMPLATES
from training.synthetic.vocabulary import TOPICS
from training.synthetic.writer import Batch

JPT_TIERS = (0, 1)  # indices of jpt_madya and jpt_pratama in organisation.TIER_NAMES
FEEDBACK_BASE_RATE = 0.05
FEEDBACK_LOW_RATE = 0.25


@dataclass
class YearPlan:
    """The year's indicators (for realisations) and each employee's first RHK (for notes)."""

    indicator_ids: np.ndarray
    indicator_owner: np.ndarray
    indicator_quantity: np.ndarray
    targets: np.ndarray
    first_rhk: np.ndarray


@dataclass
class _Layout:
    """Where each of the year's RHK sits: owner (local employee index), id, order, topic."""

    owner: np.ndarray
    ids: np.ndarray
    first: np.ndarray
    ordinal: np.ndarray
    extra: np.ndarray
    topics: list[str]


def plan_year(
    year: int, people: People, ids: IdBlock, topic: np.ndarray, rng: np.random.Generator
) -> tuple[list[Batch], YearPlan]:
    """Build the year's SKP, RHK and indicator rows (parents before children).

    `topic` gives each unit's index into TOPICS, which words the RHK and indicators.
    """
    skp_ids = ids.take("skps", len(people))
    layout = _layout(people, ids, topic, rng)
    indicators = _indicator_batch(layout, ids, rng)
    batches = [
        _skp_batch(year, people, ids, skp_ids),
        _rhk_batch(people, skp_ids, layout, rng),
        indicators,
    ]
    quantity = np.asarray(indicators.columns["aspect"]) == IndicatorAspect.KUANTITAS.value
    plan = YearPlan(
        indicator_ids=np.asarray(indicators.columns["id"]),
        indicator_owner=layout.owner,
        indicator_quantity=quantity,
        targets=np.asarray(indicators.columns["target_value"]),
        first_rhk=layout.ids[layout.first],
    )
    return batches, plan


def _layout(people: People, ids: IdBlock, topic: np.ndarray, rng: np.random.Generator) -> _Layout:
    """Draw 3-5 RHK per person; the last one is `tambahan` three times in ten."""
    counts = rng.integers(3, 6, len(people))
    owner = np.repeat(np.arange(len(people)), counts)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    ordinal = np.arange(len(owner)) - first[owner] + 1
    names = [t.lower() for t, _, _ in TOPICS]
    return _Layout(
        owner=owner,
        ids=ids.take("rhks", len(owner)),
        first=first,
        ordinal=ordinal,
        extra=(ordinal == counts[owner]) & (rng.random(len(owner)) < 0.3),
        topics=[names[u] for u in topic[people.unit[owner]].tolist()],
    )


def _skp_batch(year: int, people: People, ids: IdBlock, skp_ids: np.ndarray) -> Batch:
    model = np.where(np.isin(people.tier, JPT_TIERS), SkpModel.JPT.value, SkpModel.JA_JF.value)
    n = len(people)
    return Batch(
        "skps",
        {
            "id": skp_ids,
            "employee_id": ids.employees,
            "position_id": ids.positions[people.position],
            "year": np.full(n, year),
            "model": model,
            "approach": np.full(n, SkpApproach.KUANTITATIF.value),
            "rater_id": ids.supervisors(people.supervisor),
            "status": np.full(n, SkpStatus.DITETAPKAN.value),
            "approved_at": np.full(n, f"{year}-01-31 09:00:00"),
        },
    )


def _rhk_batch(
    people: People, skp_ids: np.ndarray, layout: _Layout, rng: np.random.Generator
) -> Batch:
    """RHK rows; utama RHKs of supervised employees point at one of the supervisor's first 3.

    A supervisor always precedes their staff, so the parent RHK has a smaller id.
    """
    supervisor = people.supervisor[layout.owner]
    pick = layout.first[np.maximum(supervisor, 0)] + rng.integers(0, 3, len(layout.owner))
    parent = np.where((supervisor >= 0) & ~layout.extra, layout.ids[pick], -1)
    text = rng.integers(len(RHK_TEMPLATES), size=len(layout.owner)).tolist()
    return Batch(
        "rhks",
        {
            "id": layout.ids,
            "skp_id": skp_ids[layout.owner],
            "kind": np.where(layout.extra, RhkKind.TAMBAHAN.value, RhkKind.UTAMA.value),
            "description": [
                RHK_TEMPLATES[t].format(topic=name)
                for t, name in zip(text, layout.topics, strict=True)
            ],
            "parent_rhk_id": _nullable(parent),
            "ordinal": layout.ordinal,
        },
    )


def _indicator_batch(layout: _Layout, ids: IdBlock, rng: np.random.Generator) -> Batch:
    """One numeric indicator per RHK, drawn from the INDICATORS templates."""
    template = rng.integers(len(INDICATORS), size=len(layout.owner))
    column = list(zip(*INDICATORS, strict=True))
    low, high = np.array(column[3])[template], np.array(column[4])[template]
    return Batch(
        "indicators",
        {
            "id": ids.take("indicators", len(layout.owner)),
            "rhk_id": layout.ids,
            "aspect": np.array(column[0], dtype=object)[template],
            "description": [
                INDICATORS[t][1].format(topic=name)
                for t, name in zip(template.tolist(), layout.topics, strict=True)
            ],
            "target_value": rng.integers(low, high + 1).astype(float),
            "target_unit": np.array(column[2], dtype=object)[template],
        },
    )


def realisations(
    plan: YearPlan, work: np.ndarray, period: Period, ids: IdBlock, rng: np.random.Generator
) -> Batch:
    """Quarterly realisations of every indicator, driven by true performance `work`.

    `recorded_by_id` is left NULL: nothing reads it, and it would cost a foreign-key check
    on the largest plan table.
    """
    w = work[plan.indicator_owner]
    n = len(w)
    share = np.maximum(0.0, 1 + 0.15 * w) * (1 + 0.05 * rng.standard_normal(n))
    quantity = np.round(plan.targets / 4 * share)
    quality = np.minimum(
        100.0, np.round(plan.targets * (1 + 0.04 * w + 0.02 * rng.standard_normal(n)), 1)
    )
    return Batch(
        "realisations",
        {
            "id": ids.take("realisations", n),
            "indicator_id": plan.indicator_ids,
            "period": np.full(n, period.code),
            "value": np.maximum(0.0, np.where(plan.indicator_quantity, quantity, quality)),
        },
    )


def feedback_notes(
    plan: YearPlan,
    work: np.ndarray,
    people: People,
    period: Period,
    ids: IdBlock,
    rng: np.random.Generator,
) -> Batch:
    """Occasional supervisor notes; likelier and constructive when performance is low."""
    low = work < -1.0
    chance = np.where(low, FEEDBACK_LOW_RATE, FEEDBACK_BASE_RATE)
    who = np.flatnonzero((rng.random(len(work)) < chance) & (people.supervisor >= 0))
    on_rhk = rng.random(len(who)) < 0.6
    texts = [
        FEEDBACK_CONSTRUCTIVE[rng.integers(len(FEEDBACK_CONSTRUCTIVE))]
        if is_low
        else FEEDBACK_POSITIVE[rng.integers(len(FEEDBACK_POSITIVE))]
        for is_low in low[who].tolist()
    ]
    return Batch(
        "feedback_notes",
        {
            "id": ids.take("feedback_notes", len(who)),
            "employee_id": ids.employees[who],
            "author_id": ids.employees[people.supervisor[who]],
            "period": np.full(len(who), period.code),
            "target": np.where(on_rhk, FeedbackTarget.RHK.value, FeedbackTarget.PERILAKU.value),
            "rhk_id": _nullable(np.where(on_rhk, plan.first_rhk[who], -1)),
            "body": texts,
        },
    )


def _nullable(values: np.ndarray) -> list[int | None]:
    """Turn -1 into NULL."""
    return [None if v < 0 else v for v in values.tolist()]
