"""What a programme does to a competency, learned from later re-assessments (issue 5).

An *episode* is one competency of one employee between two consecutive assessments; its gain
is the second level minus the first. A programme completed inside the episode (end date after
the first assessment, on or before the second) that develops the competency *exposes* it.

`GapClosureModel` explains every gain at once by ordinary least squares with a ridge prior:

    gain_i = a_c + b_c level_i + g years_i + sum over exposing programmes p of theta_pc h_ipc
    h_ipc  = max(0, max_level_pc - level_i)      (the distance to the programme's top level)

so theta_pc is the fraction of that distance one completion closes, compared with people of
the same competency and level who took nothing covering it (a regression-adjusted
difference in differences: the a_c + b_c level term absorbs drift and regression to the mean of
noisy assessments). Each theta_pc is shrunk towards a content prior kappa * rho0(jp per
competency): rho0 rises with the hours a programme spends per competency (`content_prior`),
and kappa, one number, calibrates it on all outcomes. The ridge weight is the noise variance
over the between-programme variance, both estimated from the data (empirical Bayes), so a
pair with few outcomes stays near the prior and one with many follows its own data. With no
outcomes at all, kappa = 1 and the model is the content prior: it works on day one.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.base import RegressorMixin
from threadpoolctl import threadpool_limits

from service.domain.level_estimates import estimate_level
from service.domain.level_estimates import level_priors
from service.domain.level_estimates import noise_variances
from service.domain.ranking import Evidence
from service.domain.ranking import assessed_levels
from service.domain.recommender_data import Profile

#: Upper ends of the gap bins used to find "people with a similar gap".
GAP_BINS = (0.5, 1.5, math.inf)
#: Ridge weights tried (in episodes of full exposure) and the folds they are chosen on.
LAMBDA_GRID = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
N_FOLDS = 5
#: Fewest outcomes in a gap bin before the reason cites that bin rather than all participants.
MIN_SIMILAR = 5
_EPISODE_KEYS = ["employee_id", "competency_code"]


def content_prior(jp: float, n_links: int) -> float:
    """Return the day-one effect of a programme on one competency from its hours alone.

    0.1 for a short item, rising with log2 of the JP spent per competency (+0.1 per doubling
    from 8 JP), capped at 0.6. A design assumption, replaced by outcomes as they accumulate.
    """
    per_competency = jp / max(n_links, 1)
    return float(np.clip(0.1 + 0.1 * math.log2(1 + per_competency / 8), 0.1, 0.6))


def build_episodes(
    levels: pd.DataFrame,
    completions: pd.DataFrame,
    links: pd.DataFrame,
    required: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Pair each assessed level with the next one of the same competency and its exposures.

    Parameters
    ----------
    levels
        employee_id, assessment_id, assessed_on (datetime64), competency_code, level and
        optionally method (then kept, with next_method).
    completions
        employee_id, training_code, end_date (datetime64).
    links
        training_code, competency_code (the competencies each programme develops).
    required
        Optional employee_id, competency_code, required: adds `required` and `gap`.

    Returns
    -------
    DataFrame with columns employee_id, competency_code, assessed_on, next_assessed_on, level,
    next_level, gain, years, programs (tuple of exposing training codes, possibly empty) and,
    with `required`, required and gap (NaN outside the standard).
    """
    frame = levels.sort_values([*_EPISODE_KEYS, "assessed_on", "assessment_id"])
    grouped = frame.groupby(_EPISODE_KEYS, sort=False)
    frame = frame.assign(
        next_level=grouped["level"].shift(-1), next_assessed_on=grouped["assessed_on"].shift(-1)
    )
    if "method" in frame:
        frame["next_method"] = grouped["method"].shift(-1)
    episodes = frame.dropna(subset=["next_level"]).drop(columns="assessment_id")
    episodes = episodes.reset_index(drop=True)
    episodes["gain"] = episodes["next_level"] - episodes["level"]
    days = (episodes["next_assessed_on"] - episodes["assessed_on"]).dt.days
    episodes["years"] = days.astype("float64") / 365.25
    episodes["programs"] = _exposures(episodes, completions, links)
    if required is not None:
        episodes = episodes.merge(required, on=_EPISODE_KEYS, how="left")
        episodes["gap"] = episodes["required"] - episodes["level"]
    return episodes


def _exposures(
    episodes: pd.DataFrame, completions: pd.DataFrame, links: pd.DataFrame
) -> pd.Series:
    """Return, per episode, the tuple of programmes completed inside it that develop it."""
    covering = completions.merge(links[["training_code", "competency_code"]], on="training_code")
    window = episodes[[*_EPISODE_KEYS, "assessed_on", "next_assessed_on"]].reset_index()
    hits = window.merge(covering, on=_EPISODE_KEYS)
    inside = (hits["end_date"] > hits["assessed_on"]) & (
        hits["end_date"] <= hits["next_assessed_on"]
    )
    hits = hits.loc[inside].sort_values(["index", "training_code"])
    grouped = hits.groupby("index")["training_code"].agg(tuple)
    found = dict(zip(grouped.index, grouped.to_numpy(), strict=True))
    return pd.Series([found.get(i, ()) for i in range(len(episodes))], index=episodes.index)


class GapClosureModel(RegressorMixin, BaseEstimator):
    """Per (programme, competency) effect on later levels, shrunk to a content prior.

    Fitted attributes are plain strings, numbers, lists, str-keyed dicts and arrays, so the
    model serialises with skops (an allow-list loader) and pairs are keyed "code|competency".

    Parameters
    ----------
    links
        The catalogue as records (training_code, competency_code, max_level, jp, n_links),
        for example `link_records(links_frame(catalogue))`.
    prior_strength
        Ridge weight on theta - prior (in episodes of full exposure) for both the programme
        and the pair effects; None chooses each on `LAMBDA_GRID` by cross-validation.
    """

    def __init__(
        self,
        links: Sequence[tuple[str, str, int, float, int]] | None = None,
        prior_strength: float | None = None,
    ) -> None:
        self.links = links
        self.prior_strength = prior_strength

    def fit(self, X: pd.DataFrame, y: Any = None) -> GapClosureModel:
        """Fit on episodes (`build_episodes` columns); `y` defaults to X["gain"]."""
        self._index_links()
        gains = np.asarray(X["gain"] if y is None else y, dtype=np.float64)
        base, doses = self._design(X)
        self.n_episodes_ = len(gains)
        self.n_treated_ = np.asarray((doses > 0).sum(axis=0)).ravel()
        self.noise_var_: dict[str, float] = {}
        self.level_priors_: dict[str, list[float]] = {}
        if not doses.nnz:
            self.kappa_, self.lambda_, self.sigma_ = 1.0, math.inf, math.nan
            self.delta_ = np.zeros(len(self.pairs_))
        else:
            # Small dense systems: one BLAS thread is faster than many fighting for cores.
            with threadpool_limits(limits=1, user_api="blas"):
                self._solve(base, doses, gains, _folds(X))
            unexposed = np.diff(doses.indptr) == 0
            quiet = X.loc[unexposed]
            # Raw gains, centred per competency: a residual after the level line would hide
            # part of the measurement error (that line regresses to the mean).
            drift = pd.Series(gains[unexposed]).groupby(quiet["competency_code"].to_numpy())
            centred = gains[unexposed] - drift.transform("mean").to_numpy()
            self.noise_var_ = noise_variances(quiet, centred)
            self.level_priors_ = level_priors(X, self.noise_var_)
        self.effects_ = np.clip(self.kappa_ * self.priors_ + self.delta_, 0.0, 1.0)
        self.effect_by_pair_ = dict(zip(self.pairs_, self.effects_.tolist(), strict=True))
        self.n_by_pair_ = dict(zip(self.pairs_, self.n_treated_.tolist(), strict=True))
        self.default_effect_ = float(self.kappa_ * np.median(self.priors_))
        self.evidence_ = _evidence_table(X, gains, self.pair_index_)
        return self

    def _index_links(self) -> None:
        if not self.links:
            raise ValueError("GapClosureModel needs `links`: the catalogue's competency links")
        self.pairs_ = [pair_key(code, competency) for code, competency, *_ in self.links]
        self.pair_index_ = {pair: j for j, pair in enumerate(self.pairs_)}
        self.max_levels_ = np.array([float(row[2]) for row in self.links])
        self.max_level_by_pair_ = dict(zip(self.pairs_, self.max_levels_.tolist(), strict=True))
        self.priors_ = np.array([content_prior(row[3], row[4]) for row in self.links])

    def _design(self, X: pd.DataFrame) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        """Build the baseline columns (per competency: 1, level; years) and the doses h_ipc."""
        n = len(X)
        self.competencies_ = sorted(set(X["competency_code"]))
        comp = pd.Categorical(X["competency_code"], categories=self.competencies_).codes
        rows = np.arange(n)
        level = X["level"].to_numpy(dtype=np.float64)
        width = 2 * len(self.competencies_)
        base = sparse.csr_matrix(
            (
                np.concatenate([np.ones(n), level - 3.0]),
                (np.concatenate([rows, rows]), np.concatenate([2 * comp, 2 * comp + 1])),
            ),
            shape=(n, width),
        )
        years = sparse.csr_matrix(X["years"].to_numpy(dtype=np.float64).reshape(-1, 1))
        return sparse.hstack([base, years], format="csr"), self._doses(X, level)

    def _doses(self, X: pd.DataFrame, level: np.ndarray) -> sparse.csr_matrix:
        exposed = exposures_long(X)
        keys = zip(exposed["training_code"], exposed["competency_code"], strict=True)
        cols = np.array([self.pair_index_.get(pair_key(*key), -1) for key in keys], dtype=np.intp)
        rows = exposed["row"].to_numpy(dtype=np.intp)[cols >= 0]
        cols = cols[cols >= 0]
        dose = np.maximum(self.max_levels_[cols] - level[rows], 0.0)
        return sparse.csr_matrix((dose, (rows, cols)), shape=(len(X), len(self.pairs_)))

    def _solve(
        self,
        base: sparse.csr_matrix,
        doses: sparse.csr_matrix,
        gains: np.ndarray,
        folds: np.ndarray,
    ) -> None:
        """Fit kappa, programme effects u and pair effects v by ridge regression.

        theta_pc = kappa * prior_pc + u_p + v_pc: a programme that works on one competency
        tends to work on its others, so pairs with few outcomes borrow from their programme.
        """
        codes = [key.split("|", 1)[0] for key in self.pairs_]
        self.programs_ = sorted(set(codes))
        owner = np.array([self.programs_.index(code) for code in codes], dtype=np.intp)
        members = sparse.csr_matrix(
            (np.ones(len(owner)), (np.arange(len(owner)), owner)),
            shape=(len(owner), len(self.programs_)),
        )
        prior_dose = sparse.csr_matrix(doses @ self.priors_.reshape(-1, 1))
        design = sparse.hstack([base, prior_dose, doses @ members, doses], format="csr")
        gram = (design.T @ design).toarray()
        moment = design.T @ gains
        blocks = [base.shape[1] + 1, len(self.programs_), len(self.pairs_)]
        exposed = np.diff(doses.indptr) > 0
        if self.prior_strength is None:
            lams = _cross_validated(design, gains, folds, blocks, exposed)
        else:
            lams = [float(self.prior_strength)] * 2
        coef, sigma2 = _ridge(gram, moment, gains, design, blocks, lams)
        free, n_programs = blocks[0], blocks[1]
        self.kappa_ = float(coef[free - 1])
        self.program_effects_ = coef[free : free + n_programs]
        self.delta_ = self.program_effects_[owner] + coef[free + n_programs :]
        self.lambda_ = lams
        self.sigma_ = math.sqrt(sigma2)
        self.baseline_ = coef[: free - 1]

    def ranking_levels(self, profile: Profile) -> dict[str, float]:
        """Return the estimated true level per competency (`level_estimates`; GainModel)."""
        if not self.noise_var_ or not self.level_priors_:
            return assessed_levels(profile)
        return {
            code: self._estimate(profile, code, required)
            for code, required in profile.standard.items()
        }

    def _estimate(self, profile: Profile, code: str, required: int) -> float:
        measurements = profile.history.get(code, ())
        if not measurements and code in profile.levels:
            measurements = ((date.max, profile.levels[code], ""),)
        completions = [
            (on, program)
            for on, program in profile.completions
            if pair_key(program, code) in self.max_level_by_pair_
        ]

        def gain(program: str, level: float) -> float:
            top = self.max_level_by_pair_[pair_key(program, code)]
            return self.gain(program, code, level, int(top))

        return estimate_level(
            required, measurements, completions, self.noise_var_, self.level_priors_, gain
        )

    def gain(self, code: str, competency: str, level: float, max_level: int) -> float:
        """Return the expected level gain for a person at `level` (GainModel protocol)."""
        effect = self.effect_by_pair_.get(pair_key(code, competency), self.default_effect_)
        return effect * max(0.0, max_level - level)

    def evidence(self, code: str, competency: str, gap: float) -> Evidence | None:
        """Return the outcomes of people with a similar gap, else of all participants."""
        bin_ = _gap_bin(gap)
        key = pair_key(code, competency)
        found = self.evidence_.get(f"{key}|{bin_}") if bin_ is not None else None
        if found is not None and found[0] >= MIN_SIMILAR:
            return Evidence(int(found[0]), found[1], similar_gap=True)
        every = self.evidence_.get(key)
        return Evidence(int(every[0]), every[1], similar_gap=False) if every else None

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Return the expected gain for rows of training_code, competency_code, level."""
        pairs = zip(X["training_code"], X["competency_code"], X["level"], strict=True)
        return np.array(
            [
                self.gain(code, comp, level, self.max_level_by_pair_.get(pair_key(code, comp), 0))
                for code, comp, level in pairs
            ]
        )

    def effects_frame(self) -> pd.DataFrame:
        """Return one row per pair: training_code, competency_code, prior, effect, n_treated."""
        return pd.DataFrame(
            {
                "training_code": [row[0] for row in self.links],
                "competency_code": [row[1] for row in self.links],
                "prior": self.kappa_ * self.priors_,
                "effect": self.effects_,
                "n_treated": self.n_treated_,
            }
        )


def _penalty(blocks: list[int], lams: list[float]) -> np.ndarray:
    """Return the ridge weight of every column: ~0 for the first block, then one per block."""
    parts = [np.full(n, lam) for n, lam in zip(blocks[1:], lams, strict=True)]
    return np.concatenate([np.full(blocks[0], 1e-8), *parts])


def _ridge(
    gram: np.ndarray,
    moment: np.ndarray,
    gains: np.ndarray,
    design: sparse.csr_matrix,
    blocks: list[int],
    lams: list[float],
) -> tuple[np.ndarray, float]:
    """Solve the normal equations: the first block free, then one ridge weight per block."""
    coef = np.linalg.solve(gram + np.diag(_penalty(blocks, lams)), moment)
    residual = gains - design @ coef
    dof = max(len(gains) - blocks[0], 1)
    return coef, float(residual @ residual / dof)


def _folds(X: pd.DataFrame, n_folds: int = N_FOLDS) -> np.ndarray:
    """Assign each episode to a fold by its employee, so a person is never on both sides."""
    if "employee_id" not in X:
        return np.arange(len(X)) % n_folds
    return X["employee_id"].to_numpy(dtype=np.int64) % n_folds


def _cross_validated(
    design: sparse.csr_matrix,
    gains: np.ndarray,
    folds: np.ndarray,
    blocks: list[int],
    exposed: np.ndarray,
) -> list[float]:
    """Choose the two ridge weights on LAMBDA_GRID by K-fold error on exposed episodes."""
    parts = []
    for fold in np.unique(folds):
        out = folds == fold
        inside = design[~out]
        parts.append((inside.T @ inside, inside.T @ gains[~out], design[out & exposed]))
    best, chosen = math.inf, [LAMBDA_GRID[-1]] * 2
    for lams in itertools.product(LAMBDA_GRID, repeat=2):
        error = 0.0
        for (gram, moment, held), fold in zip(parts, np.unique(folds), strict=True):
            penalty = _penalty(blocks, list(lams))
            coef = np.linalg.solve(gram.toarray() + np.diag(penalty), moment)
            target = gains[(folds == fold) & exposed]
            error += float(np.sum((target - held @ coef) ** 2))
        if error < best:
            best, chosen = error, list(lams)
    return chosen


def pair_key(code: str, competency: str) -> str:
    """Return the key of a (programme, competency) pair in the fitted dictionaries."""
    return f"{code}|{competency}"


def link_records(links: pd.DataFrame) -> list[tuple[str, str, int, float, int]]:
    """Turn a `links_frame` into the records `GapClosureModel(links=...)` takes."""
    columns = ["training_code", "competency_code", "max_level", "jp", "n_links"]
    return [
        (str(code), str(comp), int(level), float(jp), int(n))
        for code, comp, level, jp, n in links[columns].itertuples(index=False)
    ]


def _gap_bin(gap: float | None) -> int | None:
    if gap is None or not math.isfinite(gap):
        return None
    return next(i for i, upper in enumerate(GAP_BINS) if gap <= upper)


def exposures_long(X: pd.DataFrame) -> pd.DataFrame:
    """Return one row per exposing programme of each episode.

    Returns
    -------
    DataFrame with columns row (position in X), training_code and every column of X but
    `programs`.
    """
    exposed = X.loc[X["programs"].map(len) > 0].assign(row=lambda f: _positions(X, f))
    exposed = exposed.explode("programs").rename(columns={"programs": "training_code"})
    return exposed.reset_index(drop=True)


def _positions(X: pd.DataFrame, subset: pd.DataFrame) -> np.ndarray:
    return X.index.get_indexer(subset.index)


def _evidence_table(
    X: pd.DataFrame, gains: np.ndarray, pair_index: dict[str, int]
) -> dict[str, list[float]]:
    """Count and average the raw gains of exposed episodes, per pair and gap bin (None: all)."""
    exposed = exposures_long(X)
    exposed["observed"] = gains[exposed["row"].to_numpy(dtype=np.intp)]
    gaps = exposed["gap"] if "gap" in exposed else pd.Series(np.nan, index=exposed.index)
    exposed["bin"] = [_gap_bin(gap) for gap in gaps.to_numpy(dtype=np.float64)]
    table: dict[str, list[float]] = {}
    keys = ["training_code", "competency_code"]
    for by in (keys, [*keys, "bin"]):
        stats = exposed.dropna(subset=["bin"] if "bin" in by else []).groupby(by)["observed"]
        for key, n, mean in zip(stats.size().index, stats.size(), stats.mean(), strict=True):
            code, competency, *rest = key
            pair = pair_key(code, competency)
            if pair in pair_index:
                table["|".join([pair, *(str(int(b)) for b in rest)])] = [float(n), float(mean)]
    return table
