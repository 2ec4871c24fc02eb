"""Model serving: a provider in `app.extensions["models"]`, lazy and hot-swappable.

The provider loads the `champion` of `kinerja-risk` and of `kinerja-recommender` on first
use, re-checks the aliases at most every RISK_MODEL_REFRESH_SECONDS, and answers with the
rule-based fallback (marked `fallback: true`) whenever no model can be loaded. `/readyz`
shows its `status()`. Routes (API and pages) reach it through `provider()` and
`served_recommender()`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from flask import Flask
from flask import current_app
from sqlalchemy.orm import Session

from service.auth.memo import MemoAt
from service.db.models import Employee
from service.db.repositories import risk as repo
from service.domain.feedback360_results import DEFAULT_MIN_GROUP_ANSWERS
from service.domain.feedback360_results import FeedbackSettings
from service.domain.ranking import GainModel
from service.domain.recommendations import ModelRef
from service.features import FEATURE_NAMES
from service.features import serving_axis
from service.serving.fallback import RuleTable
from service.serving.fallback import fallback_answer
from service.serving.fallback import table_from_transitions
from service.serving.freshness import watch_writes
from service.serving.history import Person
from service.serving.history import employee_row
from service.serving.loader import LoadedModel
from service.serving.loader import ModelSource
from service.serving.loader import read_export_metadata
from service.serving.predictor import RISK_MODEL_NAME
from service.serving.predictor import has_enough_history
from service.serving.predictor import insufficient_answer
from service.serving.predictor import model_block
from service.serving.predictor import risk_answer
from service.serving.recommender import RECOMMENDER_MODEL_NAME
from service.serving.recommender import SOURCE_KEY
from service.serving.recommender import gains_of
from service.serving.stored import stored_answer
from service.serving.team import Ranking
from service.serving.team import live_ranking
from service.serving.team import no_period_ranking
from service.serving.team import stored_ranking
from service.serving.trees import cache_compiled_code_under

DEFAULT_REFRESH_SECONDS = 30.0
PERIOD_TTL_SECONDS = 60.0


class ModelProvider:
    """Serves the risk model (and its fallback) to request handlers and batch jobs."""

    def __init__(
        self,
        tracking_uri: str,
        models_dir: str | Path,
        alias: str = "champion",
        refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
        min_group_answers: int = DEFAULT_MIN_GROUP_ANSWERS,
    ) -> None:
        #: The 360 anonymity threshold (KINERJA_FEEDBACK_MIN_GROUP_ANSWERS) the risk
        #: features apply: a group the 360 results hide reaches no driver's value.
        self.min_group_answers = min_group_answers
        self.risk = ModelSource(RISK_MODEL_NAME, tracking_uri, models_dir, alias, refresh_seconds)
        self.recommender = ModelSource(
            RECOMMENDER_MODEL_NAME, tracking_uri, models_dir, alias, refresh_seconds
        )
        self.models_dir = Path(models_dir)
        self._period: tuple[float, str | None] = (float("-inf"), None)
        self._rules: RuleTable | None = None

    def start(self) -> None:
        """Begin loading both models in the background (gunicorn workers, at boot).

        OpenMP is limited to one thread by the loader, once the trees are loaded
        (`serving.loader.one_openmp_thread`), instead of importing them here.
        """
        self.risk.start()
        self.recommender.start()

    def status(self) -> dict[str, Any]:
        """Readiness of every served model (fallback counts as ready; loading too)."""
        sources = (self.risk, self.recommender)
        return {"ok": True, "models": {source.name: source.status() for source in sources}}

    def latest_period(self, session: Session) -> str | None:
        """The period risk is answered for: the latest evaluated quarter (cached a minute)."""
        at, period = self._period
        if time.monotonic() - at > PERIOD_TTL_SECONDS or period is None:
            period = repo.latest_period(session)
            self._period = (time.monotonic(), period)
        return period

    def rule_table(self, session: Session) -> dict[str, float]:
        """The fallback's rate table (exported metadata, else stored transitions, else prior)."""
        if self._rules is None:
            self._rules = RuleTable([self._exported_rules, lambda: self._stored_rules(session)])
        self._rules.sources[1] = lambda: self._stored_rules(session)
        return self._rules.get()

    def _exported_rules(self) -> dict[str, float] | None:
        metadata = read_export_metadata(self.models_dir, RISK_MODEL_NAME)
        return metadata.get("rule_table") if metadata else None

    def _stored_rules(self, session: Session) -> dict[str, float] | None:
        period = self.latest_period(session)
        if period is None:
            return None
        previous = serving_axis(period).code(serving_axis(period).length - 2)
        pairs = repo.predikat_transitions(session, previous, period)
        return table_from_transitions(pairs) if pairs else None

    def rank(self, session: Session, supervisor_id: int) -> Ranking:
        """The direct reports of `supervisor_id` in risk order, and their answers on demand.

        From fresh stored batch scores when there are some, else computed live in one batch
        (`serving.team` says when scores count as fresh).
        """
        model = self.risk.current()
        period = self.latest_period(session)
        if period is None:
            return no_period_ranking(session, supervisor_id, model)
        minimum = self.min_group_answers
        stored = stored_ranking(
            session, supervisor_id, period, model, lambda: self.rule_table(session), minimum
        )
        if stored is not None:
            return stored
        table = self.rule_table(session) if model is None else {}
        return live_ranking(session, supervisor_id, period, model, table, minimum)

    def risk_for(
        self, session: Session, employee: Person, memo: MemoAt | None = None
    ) -> dict[str, Any]:
        """The API.md risk answer for `employee` as of the latest period.

        From the stored batch score when it still answers (`serving.stored`: one indexed
        lookup, or none when `memo` kept it at this generation), else computed live from the
        employee's history. The answer is shared with the memo: read it, never change it.
        """
        found = self.stored_risk(session, employee.id, memo)
        if found is not None:
            stored, served = found
            self.risk.count(served)  # once per answer, for /metrics
            return stored
        model = self.risk.current()  # waits for a first load under way; counts the answer
        return self._assess(session, employee, model, self.latest_period(session))[0]

    def stored_risk(
        self, session: Session, employee_id: int, memo: MemoAt | None = None
    ) -> tuple[dict[str, Any], LoadedModel | None] | None:
        """`risk_for`'s answer when a stored score gives it, not yet counted, with the model
        to count it with (`self.risk.count`); None when it is computed live.

        Apart for the risk read's fast path, which counts an answer once it is sure to give
        it (after its audit row, `service.api.fast_risk`).
        """
        served = self.risk.announced()  # while the first load runs: the version it loads
        period = self.latest_period(session)
        if period is None:
            return None
        minimum = self.min_group_answers
        stored = stored_answer(session, employee_id, period, served, memo, minimum)
        return None if stored is None else (stored, served)

    def assess(
        self, session: Session, employee: Employee
    ) -> tuple[dict[str, Any], dict[str, float]]:
        """The risk answer and the feature values it rests on (empty without a period)."""
        return self._assess(session, employee, self.risk.current(), self.latest_period(session))

    def _assess(
        self, session: Session, employee: Person, model: LoadedModel | None, period: str | None
    ) -> tuple[dict[str, Any], dict[str, float]]:
        if period is None:
            return insufficient_answer(employee.id, None, model_block(model, model is None)), {}
        row = employee_row(session, employee, period, self.min_group_answers)
        features = dict(zip(FEATURE_NAMES, row.ravel().tolist(), strict=True))
        if not has_enough_history(row):
            block = model_block(model, model is None)
            return insufficient_answer(employee.id, period, block), features
        if model is None:
            table = self.rule_table(session)
            return fallback_answer(employee.id, period, row, table), features
        return risk_answer(employee.id, period, row, model), features


def provider() -> ModelProvider:
    """The app's model provider (created on first use if create_app did not add one)."""
    if "models" not in current_app.extensions:
        init_app(current_app)
    found: ModelProvider = current_app.extensions["models"]
    return found


def served_recommender() -> tuple[GainModel | None, ModelRef]:
    """The served recommender's gains and reference, or (None, the rule's reference).

    A source put in app.extensions[SOURCE_KEY] replaces the provider's.
    """
    source = current_app.extensions.get(SOURCE_KEY) or provider().recommender
    return gains_of(source)


def init_app(app: Flask) -> None:
    """Put a `ModelProvider` in app.extensions["models"]; nothing is loaded until first use.

    Also makes every session forget stored scores its writes change (`serving.freshness`),
    and keeps the compiled tree walk under KINERJA_HOME (`trees.cache_compiled_code_under`).
    """
    watch_writes()
    cache_compiled_code_under(app.config["KINERJA_HOME"])
    app.extensions["models"] = ModelProvider(
        app.config["MLFLOW_TRACKING_URI"],
        app.config["KINERJA_MODELS_DIR"],
        app.config.get("MODEL_ALIAS", "champion"),
        float(app.config.get("RISK_MODEL_REFRESH_SECONDS", DEFAULT_REFRESH_SECONDS)),
        FeedbackSettings.from_mapping(app.config).min_group_answers,
    )
