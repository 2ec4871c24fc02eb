"""Closing the loop: what each programme measurably did at the next assessment (issue 5).

For one programme and one competency it develops, the participants are the episodes
(`program_effects.build_episodes`) it exposes; the comparison group is every episode of the
same competency exposed to no programme at all. Comparable means regression-adjusted: a line
gain ~ 1 + level + years is fitted on the comparison group of that competency, and each
participant's counterfactual gain is that line at their own level and interval. The measured
effect is the mean of gain - counterfactual (a difference in differences: the gain is already
a before/after difference), with a t confidence interval whose standard error adds the
sampling error of the participants' excess gains and of the fitted line at their mean
covariates. Unlike `GapClosureModel` nothing is shrunk: this is the raw evidence, with its n.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Training
from service.domain.errors import NotFound

if TYPE_CHECKING:
    import pandas as pd

# pandas, scipy.stats and the recommender's modelling modules (scikit-learn) are imported
# inside the functions that measure: importing this module is part of every web worker's
# start, and one programme's outcomes are asked for rarely.

OUTCOME_COLUMNS = [
    "training_code",
    "competency_code",
    "n_participants",
    "n_comparison",
    "participant_gain",
    "comparison_gain",
    "effect",
    "ci_low",
    "ci_high",
]
_COVARIATES = 3  # intercept, level, years
#: Fewest participants whose gains an answer may show (smaller groups: counts only).
MIN_GROUP = 5


@dataclass(frozen=True)
class ProgramOutcome:
    """Measured gain of one programme on one competency against comparable non-participants."""

    training_code: str
    competency: str
    n_participants: int
    n_comparison: int
    participant_gain: float | None
    comparison_gain: float | None
    effect: float | None
    ci_low: float | None
    ci_high: float | None


def measure_outcomes(
    episodes: pd.DataFrame, links: pd.DataFrame, confidence: float = 0.95
) -> pd.DataFrame:
    """Measure every (programme, competency) pair of `links` on `episodes` (module docstring).

    Parameters
    ----------
    episodes
        `build_episodes` output: competency_code, level, years, gain, programs.
    links
        training_code, competency_code of the pairs to measure.

    Returns
    -------
    DataFrame with `OUTCOME_COLUMNS`, one row per pair of `links`; the gains, effect and
    interval are NaN when a group is too small (fewer than 2 participants or 4 comparisons).
    """
    import pandas as pd

    from service.domain.program_effects import exposures_long

    lines = {
        code: _fit_line(group)
        for code, group in episodes.loc[episodes["programs"].map(len) == 0].groupby(
            "competency_code"
        )
    }
    exposed = exposures_long(episodes)
    groups = dict(list(exposed.groupby(["training_code", "competency_code"])))
    rows = [
        _measure(
            code, competency, groups.get((code, competency)), lines.get(competency), confidence
        )
        for code, competency in zip(links["training_code"], links["competency_code"], strict=True)
    ]
    return pd.DataFrame(rows, columns=OUTCOME_COLUMNS)


@dataclass(frozen=True)
class _Line:
    coef: np.ndarray
    covariance: np.ndarray
    n: int


def _covariates(frame: pd.DataFrame) -> np.ndarray:
    level = frame["level"].to_numpy(dtype=np.float64)
    years = frame["years"].to_numpy(dtype=np.float64)
    return np.column_stack([np.ones(len(frame)), level, years])


def _fit_line(group: pd.DataFrame) -> _Line | None:
    """Fit gain ~ 1 + level + years by least squares; None with too few rows."""
    if len(group) <= _COVARIATES:
        return None
    x = _covariates(group)
    y = group["gain"].to_numpy(dtype=np.float64)
    inverse = np.linalg.pinv(x.T @ x)
    coef = inverse @ x.T @ y
    residual = y - x @ coef
    sigma2 = float(residual @ residual) / (len(y) - _COVARIATES)
    return _Line(coef, sigma2 * inverse, len(y))


def _measure(
    code: str,
    competency: str,
    treated: pd.DataFrame | None,
    line: _Line | None,
    confidence: float,
) -> tuple[object, ...]:
    n_treated = 0 if treated is None else len(treated)
    n_control = 0 if line is None else line.n
    if treated is None or line is None or n_treated < 2:
        return (code, competency, n_treated, n_control, *[np.nan] * 5)
    from scipy import stats

    x = _covariates(treated)
    counterfactual = x @ line.coef
    excess = treated["gain"].to_numpy(dtype=np.float64) - counterfactual
    mean_x = x.mean(axis=0)
    se = float(np.sqrt(excess.var(ddof=1) / n_treated + mean_x @ line.covariance @ mean_x))
    half = float(stats.t.ppf(0.5 + confidence / 2, n_treated - 1)) * se
    effect = float(excess.mean())
    participant = float(treated["gain"].mean())
    return (
        code,
        competency,
        n_treated,
        n_control,
        participant,
        float(counterfactual.mean()),
        effect,
        effect - half,
        effect + half,
    )


def program_outcomes(
    session: Session, training_code: str, *, min_group: int = MIN_GROUP
) -> list[ProgramOutcome]:
    """Measure a catalogue programme on the stored history, one item per competency it develops.

    With fewer than `min_group` participants only the counts are given: a mean over one or
    two people would disclose their own results. Raises NotFound for an unknown code.
    """
    from service.domain.program_effects import build_episodes
    from service.domain.recommender_data import links_frame
    from service.domain.recommender_data import load_assessment_levels
    from service.domain.recommender_data import load_catalogue
    from service.domain.recommender_data import load_completions
    from service.domain.recommender_data import load_required_levels

    known = "\x00" not in training_code  # no stored code has one; PostgreSQL refuses to compare
    if (
        not known
        or session.scalar(select(Training.id).where(Training.code == training_code)) is None
    ):
        raise NotFound(f"training {training_code!r} is not in the catalogue")
    links = links_frame(load_catalogue(session))
    own = links.loc[links["training_code"] == training_code]
    if own.empty:
        return []
    # An episode is one competency of one person, so the programme's competencies are all
    # that is read: the same episodes for them as from every level of the database.
    codes = sorted(set(own["competency_code"]))
    episodes = build_episodes(
        load_assessment_levels(session, codes),
        load_completions(session),
        links,
        load_required_levels(session, codes),
    )
    frame = measure_outcomes(episodes, own)
    return [_outcome(row, min_group) for row in frame.itertuples(index=False)]


def _outcome(row: object, min_group: int) -> ProgramOutcome:
    import pandas as pd

    values = row._asdict()  # type: ignore[attr-defined]
    shown = int(values["n_participants"]) >= min_group
    optional = {
        key: (None if not shown or pd.isna(values[key]) else round(float(values[key]), 4))
        for key in OUTCOME_COLUMNS[4:]
    }
    return ProgramOutcome(
        training_code=values["training_code"],
        competency=values["competency_code"],
        n_participants=int(values["n_participants"]),
        n_comparison=int(values["n_comparison"]),
        **optional,
    )
