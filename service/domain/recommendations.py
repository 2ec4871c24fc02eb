"""Use case: an employee's gaps, JPM and recommended programmes with reasons (issue 5).

`recommend_trainings` answers GET /employees/{id}/recommendations: it reads the profile and
the catalogue, ranks with `ranking.rank_programs` and explains each item in Indonesian and
English: the gaps it covers and either the outcomes of people with a similar gap who took it
(trained model, enough outcomes), the expected gain from the programme's content (trained
model, few outcomes), or the rule (fallback). Gaps are required minus the latest assessed
level (`competency.competency_gaps`: an unassessed competency's gap is the whole requirement).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from service.auth import policy
from service.domain.audit import Actor
from service.domain.audit import record_read
from service.domain.competency import CompetencyGap
from service.domain.competency import JpmCategory
from service.domain.competency import competency_gaps
from service.domain.competency import job_person_match
from service.domain.competency import jpm_category
from service.domain.errors import Invalid
from service.domain.level_estimates import expected_shortfall
from service.domain.ranking import Belief
from service.domain.ranking import Evidence
from service.domain.ranking import GainModel
from service.domain.ranking import Ranked
from service.domain.ranking import RankingState
from service.domain.ranking import RuleGains
from service.domain.ranking import belief_of
from service.domain.ranking import rank_programs
from service.domain.recommender_data import Catalogue
from service.domain.recommender_data import Profile
from service.domain.recommender_data import load_catalogue
from service.domain.recommender_data import load_profiles
from service.domain.settings import RuleSettings

#: Items returned when the caller does not say, and the most it may ask for.
DEFAULT_K = 5
MAX_K = 50
#: Fewer outcomes than this for a programme and a competency: the reason cites the content.
MIN_EVIDENCE = 5
#: A reason names the estimated gap beside the assessed one when they differ this much.
ESTIMATE_NOTED = 0.25


@dataclass(frozen=True)
class Coverage:
    """One gap a recommended programme addresses and the closure expected on it.

    `gap` is the one the ranking used: the expected shortfall below the standard under the
    model's belief about the true level (in fallback, the assessed gap); `assessed_gap` is
    required minus the latest assessed level.
    """

    competency: str
    gap: float
    expected_gain: float
    assessed_gap: float | None = None


@dataclass(frozen=True)
class Recommendation:
    """One ranked programme with the gaps it covers and the reason, in Indonesian and English."""

    training_code: str
    title: str
    title_en: str
    jp: float
    score: float
    covers: tuple[Coverage, ...]
    reason: str
    reason_en: str


@dataclass(frozen=True)
class ModelRef:
    """Which model ranked an answer (API.md: `{"name", "version", "fallback"}`)."""

    name: str
    version: str | None
    fallback: bool


RULE_MODEL = ModelRef("rule_gap_matching", None, True)


@dataclass(frozen=True)
class Recommendations:
    """The answer for one employee: gaps, JPM and its category, ranked items, the model."""

    employee_id: int
    gaps: tuple[CompetencyGap, ...]
    jpm: float | None
    jpm_category: JpmCategory | None
    items: tuple[Recommendation, ...]
    model: ModelRef = RULE_MODEL


def recommend_for_profile(
    profile: Profile,
    catalogue: Catalogue,
    gains: GainModel,
    k: int,
    settings: RuleSettings,
    *,
    model: ModelRef,
) -> Recommendations:
    """Compute gaps, JPM and the top-`k` programmes with their reasons for one employee.

    `model` names what ranked (its `fallback` flag selects the rule's reasons).
    """
    gaps = competency_gaps(profile.standard, profile.levels)
    jpm = None
    category = None
    if profile.standard:
        cap = settings.jpm_cap_at_standard
        jpm = job_person_match(profile.standard, profile.levels, cap_at_standard=cap)
        category = jpm_category(jpm, settings.jpm_thresholds)
    belief = belief_of(profile, gains)
    items = [
        explain(ranked, profile, belief, catalogue, gains, fallback=model.fallback)
        for ranked in rank_programs(profile, catalogue.programs, gains, k, belief=belief)
    ]
    return Recommendations(profile.employee_id, tuple(gaps), jpm, category, tuple(items), model)


def recommend_trainings(
    session: Session,
    actor: Actor,
    employee_id: int,
    *,
    k: int = DEFAULT_K,
    settings: RuleSettings | None = None,
    gains: GainModel | None = None,
    model: ModelRef = RULE_MODEL,
) -> Recommendations:
    """Use case of GET /employees/{id}/recommendations: a visible employee, an audited read.

    Without `gains` the answer is the rule-based fallback (`RuleGains`, `RULE_MODEL`).
    """
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise Invalid.field("k", f"must be a whole number from 1 to {MAX_K}; got {k!r}")
    policy.visible_employee(session, actor, employee_id)
    record_read(session, actor, "recommendations", employee_id)
    profile = load_profiles(session, [employee_id])[0]
    if gains is None:
        gains, model = RuleGains(), RULE_MODEL
    catalogue = load_catalogue(session)
    return recommend_for_profile(
        profile, catalogue, gains, k, settings or RuleSettings(), model=model
    )


# --- reasons ---------------------------------------------------------------------------------


def explain(
    ranked: Ranked,
    profile: Profile,
    belief: Belief,
    catalogue: Catalogue,
    gains: GainModel,
    *,
    fallback: bool,
) -> Recommendation:
    """Turn a ranked programme into an item with its covered gaps and a reason in two languages.

    Each covered competency carries the gap the ranking started from (the latest assessed gap
    in fallback, the model's expected true gap otherwise) and the assessed gap; the reason
    shows the assessed gap, and the estimate beside it when they differ.
    """
    program = ranked.program
    state = RankingState(profile.standard, belief)
    covers = tuple(
        Coverage(
            link.competency,
            round(_expected_gap(profile, belief, link.competency), 2),
            round(ranked.gains.get(link.competency, 0.0), 3),
            profile.standard[link.competency] - profile.levels.get(link.competency, 0.0),
        )
        for link in state.covered(program)
    )
    main = max(covers, key=lambda c: (c.expected_gain, c.gap))
    link = next(link for link in program.links if link.competency == main.competency)
    if fallback:
        why = _rule_reason(catalogue, main.competency, link.max_level)
    else:
        evidence = gains.evidence(program.code, main.competency, main.gap)
        why = _evidence_reason(evidence, main.expected_gain)
    covered = _covers_text(catalogue, covers)
    return Recommendation(
        training_code=program.code,
        title=program.title,
        title_en=program.title_en,
        jp=program.jp,
        score=round(ranked.score, 3),
        covers=covers,
        reason=f"mencakup {covered[0]}; {why[0]}",
        reason_en=f"covers {covered[1]}; {why[1]}",
    )


def _expected_gap(profile: Profile, belief: Belief, competency: str) -> float:
    """The expected shortfall below the standard under the belief (exact, not on points)."""
    required = profile.standard[competency]
    spread = belief.sd.get(competency, 0.0)
    return float(expected_shortfall(required, belief.mean[competency], spread))


def format_number(value: float, *, english: bool, signed: bool = False) -> str:
    """Format a level or gain with at most one decimal (a decimal comma in Indonesian)."""
    text = f"{value:+.1f}" if signed else f"{value:.1f}"
    text = text.removesuffix(".0")
    return text if english else text.replace(".", ",")


def _covers_text(catalogue: Catalogue, covers: tuple[Coverage, ...]) -> tuple[str, str]:
    """Name each covered competency with its assessed gap, and the estimate when it differs."""
    texts = []
    for english, word, estimated in ((False, "kesenjangan", "perkiraan"), (True, "gap", "est.")):
        parts = []
        for c in covers:
            shown = c.gap if c.assessed_gap is None else c.assessed_gap
            text = f"{word} {format_number(shown, english=english)}"
            if abs(shown - c.gap) >= ESTIMATE_NOTED:
                text += f", {estimated} {format_number(c.gap, english=english)}"
            parts.append(f"{catalogue.name(c.competency, english=english)} ({text})")
        texts.append(_join(parts, "and" if english else "dan"))
    return texts[0], texts[1]


def _join(parts: list[str], conjunction: str) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} {conjunction} {parts[-1]}"


def _evidence_reason(evidence: Evidence | None, expected: float) -> tuple[str, str]:
    if evidence is None or evidence.n < MIN_EVIDENCE:
        n = evidence.n if evidence else 0
        return (
            f"perkiraan kenaikan {format_number(expected, english=False, signed=True)} dari isi "
            f"program (hasil terukur belum cukup, n={n})",
            f"expected gain {format_number(expected, english=True, signed=True)} from the "
            f"programme content (too few measured outcomes, n={n})",
        )
    gain_id = format_number(evidence.mean_gain, english=False, signed=True)
    gain_en = format_number(evidence.mean_gain, english=True, signed=True)
    if evidence.similar_gap:
        return (
            f"pegawai dengan kesenjangan serupa naik rata-rata {gain_id} setelah mengikutinya "
            f"(n={evidence.n})",
            f"people with a similar gap gained {gain_en} on average after it (n={evidence.n})",
        )
    return (
        f"peserta sebelumnya naik rata-rata {gain_id} setelah mengikutinya (n={evidence.n})",
        f"past participants gained {gain_en} on average after it (n={evidence.n})",
    )


def _rule_reason(catalogue: Catalogue, competency: str, max_level: int) -> tuple[str, str]:
    return (
        f"berbasis aturan: program ini mengembangkan {catalogue.name(competency)} "
        f"hingga level {max_level}",
        f"rule-based: the programme develops {catalogue.name(competency, english=True)} "
        f"up to level {max_level}",
    )
