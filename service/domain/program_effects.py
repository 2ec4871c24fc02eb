"""What a programme does to a competency, learned from later re-assessments (issue 5).

An *episode* is one competency of one employee between two consecutive assessments; its gain
is the second level minus the first. A programme completed inside the episode that develops
the competency *exposes* it. When a completion starts to show is an exposure rule: from its
end date (`end_date`: an assessment the day after reflects it) or from the quarter after it
ends (`next_quarter`: an assessment in the same quarter still measured the level before it);
`build_episodes` lists the exposures under both and the model keeps the rule whose fit
predicts held-out gains better (cross-validated).

`GapClosureModel` explains every gain at once by least squares with a ridge prior:

    gain_i = a_c + b_c L_i + g years_i + sum over exposing programmes p of theta_pc h_ipc
    h_ipc  = E[max(0, max_level_pc - L_i)]      (the expected distance to the programme's top)

so theta_pc is the fraction of that distance one completion closes, compared with people of
the same competency and level who took nothing covering it (a regression-adjusted
difference in differences). L_i is not the assessed level but its estimate given that
assessment (`level_estimates`: the prior of the required level, pulled towards the measurement
by the method's reliability), and the gain is measured from that estimate: a noisy assessed
level in h would attenuate every effect (errors in variables), and people choose programmes
for gaps they really have, so at the same assessed level participants stand lower than
non-participants. Each theta_pc is shrunk towards a content prior kappa * rho0(jp per
competency): rho0 rises with the hours a programme spends per competency (`content_prior`),
and kappa, one number, calibrates it on all outcomes. The ridge weight is the noise variance
over the between-programme variance, both chosen on held-out folds (empirical Bayes), so a
pair with few outcomes stays near the prior and one with many follows its own data. With no
outcomes at all, kappa = 1 and the model is the content prior: it works on day one.

For ranking, `level_beliefs` estimates each person's level now with its uncertainty
(a normal filter over every assessment and completed programme, `level_estimates`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.base import RegressorMixin
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from service.domain.level_estimates import COMPLETED
from service.domain.level_estimates import MEASURED
from service.domain.level_estimates import Events
from service.domain.level_estimates import expected_shortfall
from service.domain.level_estimates import filter_levels
from service.domain.level_estimates import level_priors
from service.domain.level_estimates import noise_variances
from service.domain.level_estimates import prior_arrays
from service.domain.ranking import Evidence
from service.domain.ranking import RuleGains
from service.domain.recommender_data import LevelHistory

#: Upper ends of the gap bins used to find "people with a similar gap".
GAP_BINS = (0.5, 1.5, math.inf)
#: Ridge weights tried (in episodes of full exposure) and the folds they are chosen on.
LAMBDA_GRID = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
N_FOLDS = 5
#: Fewest outcomes in a gap bin before the reason cites that bin rather than all participants.
MIN_SIMILAR = 5
#: When a completed programme starts to show in assessments (module docstring).
EXPOSURE_RULES = ("end_date", "next_quarter")
_EPISODE_KEYS = ["employee_id", "competency_code"]


def content_prior(jp: float, n_links: int) -> float:
    """Return the day-one effect of a programme on one competency from its hours alone.

    0.1 for a short item, rising with log2 of the JP spent per competency (+0.1 per doubling
    from 8 JP), capped at 0.6. A design assumption, replaced by outcomes as they accumulate.
    """
    per_competency = jp / max(n_links, 1)
    return float(np.clip(0.1 + 0.1 * math.log2(1 + per_competency / 8), 0.1, 0.6))


def exposure_column(rule: str) -> str:
    """Return the episodes' column listing the exposing programmes under `rule`."""
    return "programs" if rule == EXPOSURE_RULES[0] else f"programs_{rule}"


def shows_from(end_dates: np.ndarray, rule: str) -> np.ndarray:
    """Return the day from which a programme that ended on `end_dates` shows, under `rule`.

    `next_quarter` moves it to the first day of the next calendar quarter. Dates are numpy
    datetime64 of any unit; the answer is datetime64[D].
    """
    days = np.asarray(end_dates).astype("datetime64[D]")
    if rule == EXPOSURE_RULES[0]:
        return days
    months = days.astype("datetime64[M]").astype(np.int64)
    return ((months // 3 + 1) * 3).astype("datetime64[M]").astype("datetime64[D]")


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
    next_level, gain, years, programs (tuple of the training codes exposing it under the
    `end_date` rule, possibly empty), programs_next_quarter (the same under `next_quarter`)
    and, with `required`, required and gap (NaN outside the standard).
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
    for rule in EXPOSURE_RULES:
        episodes[exposure_column(rule)] = _exposures(episodes, completions, links, rule)
    if required is not None:
        episodes = episodes.merge(required, on=_EPISODE_KEYS, how="left")
        episodes["gap"] = episodes["required"] - episodes["level"]
    return episodes


def _exposures(
    episodes: pd.DataFrame, completions: pd.DataFrame, links: pd.DataFrame, rule: str
) -> pd.Series:
    """Return, per episode, the programmes that develop it and show inside it under `rule`."""
    covering = completions.merge(links[["training_code", "competency_code"]], on="training_code")
    window = episodes[[*_EPISODE_KEYS, "assessed_on", "next_assessed_on"]].reset_index()
    hits = window.merge(covering, on=_EPISODE_KEYS)
    shown = shows_from(hits["end_date"].to_numpy(), rule)
    start = hits["assessed_on"].to_numpy().astype("datetime64[D]")
    end = hits["next_assessed_on"].to_numpy().astype("datetime64[D]")
    hits = hits.loc[(shown > start) & (shown <= end)].sort_values(["index", "training_code"])
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
    exposure
        One of `EXPOSURE_RULES`; None keeps the one with the smaller cross-validated error
        among those the episodes list.
    """

    def __init__(
        self,
        links: Sequence[tuple[str, str, int, float, int]] | None = None,
        prior_strength: float | None = None,
        exposure: str | None = None,
    ) -> None:
        self.links = links
        self.prior_strength = prior_strength
        self.exposure = exposure

    def fit(self, X: pd.DataFrame, y: Any = None) -> GapClosureModel:
        """Fit on episodes (`build_episodes` columns); `y` defaults to X["gain"]."""
        if self.exposure is None:
            rules = [r for r in EXPOSURE_RULES if exposure_column(r) in X] or [EXPOSURE_RULES[0]]
            if len(rules) > 1:
                fits = [clone(self).set_params(exposure=rule).fit(X, y) for rule in rules]
                best = min(fits, key=lambda fitted: fitted.cv_error_)
                self.__dict__.update({k: v for k, v in vars(best).items() if k.endswith("_")})
                return self
            return self._fit_rule(X, y, rules[0])
        return self._fit_rule(X, y, self.exposure)

    def _fit_rule(self, X: pd.DataFrame, y: Any, rule: str) -> GapClosureModel:
        self._index_links()
        self.exposure_ = rule
        column = exposure_column(rule)
        observed = np.asarray(X["gain"] if y is None else y, dtype=np.float64)
        self._fit_measurement(X, observed)
        start, spread = self._start_levels(X)
        target = observed + X["level"].to_numpy(dtype=np.float64) - start
        base, doses = self._design(X, start, spread, column)
        self.n_episodes_ = len(observed)
        self.n_treated_ = np.asarray((doses > 0).sum(axis=0)).ravel()
        self.cv_error_ = math.nan
        if not doses.nnz:
            self.kappa_, self.lambda_, self.sigma_ = 1.0, math.inf, math.nan
            self.delta_ = np.zeros(len(self.pairs_))
        else:
            # Small dense systems: one BLAS thread is faster than many fighting for cores.
            with threadpool_limits(limits=1, user_api="blas"):
                self._solve(base, doses, target, _folds(X))
        self.effects_ = np.clip(self.kappa_ * self.priors_ + self.delta_, 0.0, 1.0)
        self.effect_by_pair_ = dict(zip(self.pairs_, self.effects_.tolist(), strict=True))
        self.n_by_pair_ = dict(zip(self.pairs_, self.n_treated_.tolist(), strict=True))
        self.default_effect_ = float(self.kappa_ * np.median(self.priors_))
        self.evidence_ = _evidence_table(X, observed, self.pair_index_, column)
        return self

    def _index_links(self) -> None:
        if not self.links:
            raise ValueError("GapClosureModel needs `links`: the catalogue's competency links")
        self.pairs_ = [pair_key(code, competency) for code, competency, *_ in self.links]
        self.pair_index_ = {pair: j for j, pair in enumerate(self.pairs_)}
        self.max_levels_ = np.array([float(row[2]) for row in self.links])
        self.max_level_by_pair_ = dict(zip(self.pairs_, self.max_levels_.tolist(), strict=True))
        self.priors_ = np.array([content_prior(row[3], row[4]) for row in self.links])

    def _fit_measurement(self, X: pd.DataFrame, observed: np.ndarray) -> None:
        """Learn each method's noise and the level priors from episodes nothing exposed.

        An episode counts as unexposed only when no rule sees a programme in it, so the
        noise and priors (and the estimated levels built on them) are the same whichever
        rule is fitted, and the rules' errors compare on the same target.
        """
        columns = [c for c in map(exposure_column, EXPOSURE_RULES) if c in X]
        quiet_rows = np.logical_and.reduce([X[c].map(len).to_numpy() == 0 for c in columns])
        quiet = X.loc[quiet_rows]
        # Raw gains, centred per competency: a residual after the level line would hide
        # part of the measurement error (that line regresses to the mean).
        drift = pd.Series(observed[quiet_rows]).groupby(quiet["competency_code"].to_numpy())
        centred = observed[quiet_rows] - drift.transform("mean").to_numpy()
        self.noise_var_: dict[str, float] = noise_variances(quiet, centred)
        self.level_priors_: dict[str, list[float]] = level_priors(X, self.noise_var_)

    def _start_levels(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Estimate each episode's first level from its assessment (mean and sd)."""
        level = X["level"].to_numpy(dtype=np.float64)
        if not self.noise_var_ or not self.level_priors_:
            return level, np.zeros(len(X))
        required = X["required"].to_numpy(dtype=np.float64) if "required" in X else None
        mean, var = prior_arrays(required, len(X), self.level_priors_)
        method = X["method"].to_numpy() if "method" in X else np.full(len(X), "")
        rows = np.arange(len(X))
        events = Events(
            item=rows,
            day=np.zeros(len(X), dtype=np.int64),
            kind=np.full(len(X), MEASURED),
            order=rows,
            value=level,
            weight=self._noise_of(method),
        )
        mean, var = filter_levels(mean, var, events)
        return mean, np.sqrt(var)

    def _noise_of(self, methods: np.ndarray) -> np.ndarray:
        """Return the noise variance of each measurement's method (the mean when unknown)."""
        noise = self.noise_var_
        default = noise[""]
        return np.array([noise.get(m, default) for m in methods.tolist()], dtype=np.float64)

    def _design(
        self, X: pd.DataFrame, start: np.ndarray, spread: np.ndarray, column: str
    ) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        """Build the baseline columns (per competency: 1, level; years) and the doses h_ipc."""
        n = len(X)
        self.competencies_ = sorted(set(X["competency_code"]))
        comp = pd.Categorical(X["competency_code"], categories=self.competencies_).codes
        rows = np.arange(n)
        width = 2 * len(self.competencies_)
        base = sparse.csr_matrix(
            (
                np.concatenate([np.ones(n), start - 3.0]),
                (np.concatenate([rows, rows]), np.concatenate([2 * comp, 2 * comp + 1])),
            ),
            shape=(n, width),
        )
        years = sparse.csr_matrix(X["years"].to_numpy(dtype=np.float64).reshape(-1, 1))
        doses = self._doses(X, start, spread, column)
        return sparse.hstack([base, years], format="csr"), doses

    def _doses(
        self, X: pd.DataFrame, start: np.ndarray, spread: np.ndarray, column: str
    ) -> sparse.csr_matrix:
        exposed = exposures_long(X, column)
        keys = zip(exposed["training_code"], exposed["competency_code"], strict=True)
        cols = np.array([self.pair_index_.get(pair_key(*key), -1) for key in keys], dtype=np.intp)
        rows = exposed["row"].to_numpy(dtype=np.intp)[cols >= 0]
        cols = cols[cols >= 0]
        dose = expected_shortfall(self.max_levels_[cols], start[rows], spread[rows])
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
        parts = _fold_parts(design, gains, folds)
        if self.prior_strength is None:
            lams = _cross_validated(parts, gains, folds, blocks, exposed)
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
        self.cv_error_ = _held_out_error(parts, gains, folds, blocks, lams)

    def share(self, code: str, competency: str) -> float:
        """Return the share of the distance to the top level one completion closes."""
        return self.effect_by_pair_.get(pair_key(code, competency), self.default_effect_)

    def level_beliefs(self, history: LevelHistory) -> tuple[np.ndarray, np.ndarray]:
        """Return each item's estimated level now and its sd (GainModel protocol).

        The filter of `level_estimates` over every assessment and every completed programme
        that develops the item (shown from the fitted exposure rule's date, raising the
        estimate by this model's expected gain). A model that saw no unexposed episodes has
        no noise estimate and ranks from the latest assessed levels, as the rule does.
        """
        noise = getattr(self, "noise_var_", {})
        priors = getattr(self, "level_priors_", {})
        if not noise or not priors:
            return RuleGains().level_beliefs(history)
        mean, var = prior_arrays(history.required.astype(np.float64), len(history.person), priors)
        events = _concat_events(self._measurements(history), self._completions(history))
        mean, var = filter_levels(mean, var, events)
        return mean, np.sqrt(var)

    def _measurements(self, history: LevelHistory) -> Events:
        return Events(
            item=history.item,
            day=history.assessed_on.astype(np.int64),
            kind=np.full(len(history.item), MEASURED),
            order=history.assessment_id,
            value=history.level,
            weight=self._noise_of(history.method),
        )

    def _completions(self, history: LevelHistory) -> Events:
        """Expand each completion to the person's items its programme develops.

        In numpy over (completion, link) pairs: a unit has a quarter of a million items, so
        walking each completer's items in Python cost more than the filter. The events come
        completion by completion, items ascending within one (the filter's ties keep it).
        """
        people = int(history.person.max()) + 1 if len(history.person) else 0
        shown = shows_from(history.completed_on, getattr(self, "exposure_", EXPOSURE_RULES[0]))
        codes = sorted(set(history.competency.tolist()))
        index = {code: i for i, code in enumerate(codes)}
        item_key = history.person.astype(np.int64) * len(codes) + np.array(
            [index[c] for c in history.competency.tolist()], dtype=np.int64
        )
        by_key = np.argsort(item_key, kind="stable")
        links = self._links_by_code(index)
        none = (np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
        chosen = [
            (row, links.get(code, none))
            for row, (person, code) in enumerate(
                zip(history.completed_by.tolist(), history.completed.tolist(), strict=True)
            )
            if person < people
        ]
        counts = np.array([len(link[0]) for _, link in chosen], dtype=np.intp)
        completion = np.repeat(np.array([row for row, _ in chosen], dtype=np.intp), counts)
        parts = [link for _, link in chosen] or [none]
        column, top, share = (np.concatenate([part[i] for part in parts]) for i in range(3))
        key = history.completed_by[completion].astype(np.int64) * len(codes) + column
        at = np.minimum(np.searchsorted(item_key[by_key], key), max(len(by_key) - 1, 0))
        hit = (item_key[by_key][at] == key) if len(by_key) else np.zeros(len(key), dtype=bool)
        item = by_key[at[hit]] if len(by_key) else np.zeros(0, dtype=np.intp)
        order = np.lexsort((item, completion[hit]))
        return Events(
            item=item[order].astype(np.intp),
            day=shown.astype(np.int64)[completion[hit]][order],
            kind=np.full(len(order), COMPLETED),
            order=np.zeros(len(order), dtype=np.int64),
            value=top[hit][order].astype(np.float64),
            weight=share[hit][order].astype(np.float64),
        )

    def _links_by_code(self, index: Mapping[str, int]) -> dict[str, tuple[np.ndarray, ...]]:
        """Per programme: the columns (in `index`) of the competencies it develops, with its top
        level and share on each, for the pairs the model knows a top level of."""
        found: dict[str, list[tuple[int, float, float]]] = {}
        for key, top in self.max_level_by_pair_.items():
            code, competency = key.rsplit("|", 1)
            if competency in index:
                share = self.share(code, competency)
                found.setdefault(code, []).append((index[competency], float(top), share))
        return {
            code: (
                np.array([r[0] for r in rows], dtype=np.int64),
                np.array([r[1] for r in rows], dtype=np.float64),
                np.array([r[2] for r in rows], dtype=np.float64),
            )
            for code, rows in found.items()
        }

    def gain(self, code: str, competency: str, level: float, max_level: int) -> float:
        """Return the expected level gain for a person at `level`."""
        return self.share(code, competency) * max(0.0, max_level - level)

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


def _concat_events(*parts: Events) -> Events:
    names = [field.name for field in fields(Events)]
    return Events(*(np.concatenate([getattr(part, name) for part in parts]) for name in names))


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


def _fold_parts(
    design: sparse.csr_matrix, gains: np.ndarray, folds: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray, sparse.csr_matrix, np.ndarray]]:
    """Per fold: the gram and moment of the other folds, and the fold's rows and mask."""
    parts = []
    for fold in np.unique(folds):
        out = folds == fold
        inside = design[~out]
        gram = (inside.T @ inside).toarray()
        parts.append((gram, inside.T @ gains[~out], design[out], out))
    return parts


def _cross_validated(
    parts: list[tuple[np.ndarray, np.ndarray, sparse.csr_matrix, np.ndarray]],
    gains: np.ndarray,
    folds: np.ndarray,
    blocks: list[int],
    exposed: np.ndarray,
) -> list[float]:
    """Choose the two ridge weights on LAMBDA_GRID by K-fold error on exposed episodes."""
    best, chosen = math.inf, [LAMBDA_GRID[-1]] * 2
    for lams in itertools.product(LAMBDA_GRID, repeat=2):
        penalty = np.diag(_penalty(blocks, list(lams)))
        error = 0.0
        for gram, moment, held, out in parts:
            coef = np.linalg.solve(gram + penalty, moment)
            keep = exposed[out]
            error += float(np.sum((gains[out][keep] - held[keep] @ coef) ** 2))
        if error < best:
            best, chosen = error, list(lams)
    return chosen


def _held_out_error(
    parts: list[tuple[np.ndarray, np.ndarray, sparse.csr_matrix, np.ndarray]],
    gains: np.ndarray,
    folds: np.ndarray,
    blocks: list[int],
    lams: list[float],
) -> float:
    """Return the mean squared K-fold error over every episode at the chosen weights."""
    penalty = np.diag(_penalty(blocks, lams))
    error = 0.0
    for gram, moment, held, out in parts:
        coef = np.linalg.solve(gram + penalty, moment)
        error += float(np.sum((gains[out] - held @ coef) ** 2))
    return error / max(len(gains), 1)


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


def exposures_long(X: pd.DataFrame, column: str = "programs") -> pd.DataFrame:
    """Return one row per exposing programme of each episode (listed in `column`).

    Returns
    -------
    DataFrame with columns row (position in X), training_code and every column of X but
    the exposure columns.
    """
    exposed = X.loc[X[column].map(len) > 0].assign(row=lambda f: _positions(X, f))
    others = [c for c in map(exposure_column, EXPOSURE_RULES) if c in X and c != column]
    exposed = exposed.drop(columns=others).explode(column)
    return exposed.rename(columns={column: "training_code"}).reset_index(drop=True)


def _positions(X: pd.DataFrame, subset: pd.DataFrame) -> np.ndarray:
    return X.index.get_indexer(subset.index)


def _evidence_table(
    X: pd.DataFrame, gains: np.ndarray, pair_index: dict[str, int], column: str
) -> dict[str, list[float]]:
    """Count and average the raw gains of exposed episodes, per pair and gap bin (None: all)."""
    exposed = exposures_long(X, column)
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
