"""Read the recommender's history and the generator's truth, and split it in time.

History: every assessed level, every completed programme, the required levels of each
employee's position and the catalogue, turned into episodes (`program_effects.build_episodes`:
one competency of one employee between two assessments, with the programmes completed in
between). The split is by date: the model learns from episodes that END on or before the
cutoff, and is evaluated on the employees assessed after it, as they stand at the end of the
history (their latest levels and every programme taken so far), which it never saw.

Truth (`truth_program_effects`, `truth_levels`) exists only in generated databases and is read
only here, for evaluation; a model never sees it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy import MetaData
from sqlalchemy import Table
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import NoSuchTableError
from sqlalchemy.orm import Session

from service.domain.program_effects import build_episodes
from service.domain.recommender_data import Catalogue
from service.domain.recommender_data import Profile
from service.domain.recommender_data import links_frame
from service.domain.recommender_data import load_assessment_levels
from service.domain.recommender_data import load_catalogue
from service.domain.recommender_data import load_completions
from service.domain.recommender_data import load_profiles
from service.domain.recommender_data import load_required_levels

#: Share of the assessment dates (the latest ones) whose outcomes the model never sees.
HOLDOUT_SHARE = 0.3


@dataclass
class History:
    """Everything the recommender learns from, read once."""

    catalogue: Catalogue
    links: pd.DataFrame
    episodes: pd.DataFrame
    completions: pd.DataFrame
    assessed_on: pd.Series

    @property
    def window(self) -> tuple[str, str]:
        """First and last assessment date read (ISO), or ("", "") when there is none."""
        if self.assessed_on.empty:
            return "", ""
        return str(self.assessed_on.min().date()), str(self.assessed_on.max().date())


@dataclass(frozen=True)
class Truth:
    """The generator's truth: effect per "code|competency", true levels per employee."""

    effects: dict[str, float]
    levels: dict[int, dict[str, float]]
    period: str


def read_history(engine: Engine) -> History:
    """Read the catalogue, assessments, completions and standards into episodes."""
    with Session(engine) as session:
        catalogue = load_catalogue(session)
        levels = load_assessment_levels(session)
        completions = load_completions(session)
        required = load_required_levels(session)
    links = links_frame(catalogue)
    episodes = build_episodes(levels, completions, links, required)
    return History(catalogue, links, episodes, completions, levels["assessed_on"])


def choose_cutoff(history: History, holdout_share: float = HOLDOUT_SHARE) -> date:
    """Return the date that leaves the latest `holdout_share` of assessment dates held out."""
    dates = np.sort(history.assessed_on.drop_duplicates().to_numpy())
    if len(dates) < 2:
        raise ValueError(
            "need competency assessments on at least two dates to hold out later data; "
            "seed more history (kinerja seed --quarters 8)"
        )
    index = min(max(int(len(dates) * (1 - holdout_share)) - 1, 0), len(dates) - 2)
    return pd.Timestamp(dates[index]).date()


def training_episodes(history: History, cutoff: date) -> pd.DataFrame:
    """Return the episodes whose second assessment is on or before `cutoff`."""
    return history.episodes.loc[history.episodes["next_assessed_on"] <= pd.Timestamp(cutoff)]


def training_completions(history: History, cutoff: date) -> pd.DataFrame:
    """Return the completions up to `cutoff` (what popularity may count)."""
    return history.completions.loc[history.completions["end_date"] <= pd.Timestamp(cutoff)]


def heldout_profiles(
    engine: Engine, history: History, cutoff: date, limit: int, seed: int
) -> list[Profile]:
    """Read, as they stand now, up to `limit` employees assessed after `cutoff` (seeded)."""
    later = history.episodes.loc[history.episodes["next_assessed_on"] > pd.Timestamp(cutoff)]
    ids = np.sort(later["employee_id"].unique())
    if len(ids) > limit:
        ids = np.sort(np.random.default_rng(seed).choice(ids, size=limit, replace=False))
    with Session(engine) as session:
        return load_profiles(session, [int(i) for i in ids])


def snapshot_id(history: History) -> str:
    """A short digest of the episodes and completions, logged with every run."""
    digest = hashlib.sha256()
    columns = ["employee_id", "competency_code", "assessed_on", "level", "next_level"]
    digest.update(pd.util.hash_pandas_object(history.episodes[columns], index=False).to_numpy())
    completions = history.completions[["employee_id", "training_code", "end_date"]]
    digest.update(pd.util.hash_pandas_object(completions, index=False).to_numpy())
    return digest.hexdigest()[:16]


def read_truth(engine: Engine) -> Truth | None:
    """Read the true programme effects and the latest true levels; None without a truth."""
    metadata = MetaData()
    try:
        effects = Table("truth_program_effects", metadata, autoload_with=engine)
        levels = Table("truth_levels", metadata, autoload_with=engine)
    except NoSuchTableError:
        return None
    with engine.connect() as connection:
        pairs = connection.execute(
            select(effects.c.training_code, effects.c.competency_code, effects.c.effect)
        ).all()
        period = connection.execute(select(func.max(levels.c.period))).scalar()
        rows = connection.execute(
            select(levels.c.employee_id, levels.c.competency_code, levels.c.level).where(
                levels.c.period == period
            )
        ).all()
    if not pairs or period is None:
        return None
    true_levels: dict[int, dict[str, float]] = {}
    for employee_id, competency, level in rows:
        true_levels.setdefault(int(employee_id), {})[competency] = float(level)
    effect = {f"{code}|{competency}": float(value) for code, competency, value in pairs}
    return Truth(effect, true_levels, str(period))
