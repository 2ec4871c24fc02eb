"""Build and fit the recommender: `GapClosureModel` on the training episodes.

`build_model(links, params)` returns an unfitted estimator (scikit-learn convention);
`fit_model` fits it. The estimator itself lives in `service.domain.program_effects`, so the
service can load it without importing training code.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from service.domain.program_effects import GapClosureModel
from service.domain.program_effects import link_records

#: prior_strength None: the ridge weights are chosen by cross-validation.
DEFAULT_PARAMS: dict[str, Any] = {"prior_strength": None}


def build_model(links: pd.DataFrame, params: dict[str, Any] | None = None) -> GapClosureModel:
    """Return an unfitted model over the catalogue's links (`links_frame` columns)."""
    settings = {**DEFAULT_PARAMS, **(params or {})}
    return GapClosureModel(links=link_records(links), **settings)


def fit_model(
    episodes: pd.DataFrame, links: pd.DataFrame, params: dict[str, Any] | None = None
) -> GapClosureModel:
    """Fit the model on `episodes` (`build_episodes` columns); no episodes gives the prior."""
    return build_model(links, params).fit(episodes)
