"""Bodies of `kinerja train`, `kinerja score` and `kinerja retrain-schedule` (CLI stays thin)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from typing import Any

from tqdm import tqdm

from service.db import Database
from service.db.repositories import risk as repo
from service.domain.feedback360_results import FeedbackSettings
from training.pipeline import STEPS
from training.pipeline import TrainSummary
from training.pipeline import run
from training.register import gates_from
from training.sampling import compare_from
from training.sampling import plan_from
from training.score import DEFAULT_SCORE_CHUNK
from training.train import DEFAULT_PARAMS

Echo = Callable[[str], None]
_ROWS = (
    ("model (calibrated trees)", "roc_auc", "brier"),
    ("baseline: last predikat was poor", "baseline_rule_roc_auc", "baseline_rule_brier"),
    ("baseline: logistic regression", "baseline_logreg_roc_auc", None),
    ("oracle: true probability", "oracle_roc_auc", "oracle_brier"),
)


def summary_table(summary: TrainSummary) -> str:
    """Model vs baselines vs oracle on the held-out period, then the gates and the decision."""
    metrics = summary.metrics
    lines = [f"Held-out period {summary.split.test} ({int(metrics['test_rows'])} rows, "
             f"poor rate {metrics['base_rate']:.3f}); snapshot {summary.snapshot}",
             f"Trained on {summary.employees}",
             f"{'':34s} {'ROC AUC':>8s} {'Brier':>8s}"]  # fmt: skip
    for label, auc, brier in _ROWS:
        if auc in metrics:
            brier_text = f"{metrics[brier]:8.4f}" if brier in metrics else f"{'':8s}"
            lines.append(f"{label:34s} {metrics[auc]:8.4f} {brier_text}")
    gap = metrics["fairness_max_tpr_gap"]
    gap_text = f"{gap:.4f}" if gap == gap else "not measurable (fairness: unmeasured)"
    lines.append(
        f"ECE {metrics['ece']:.4f}; largest TPR gap by gender/age band "
        f"{gap_text}; flag threshold {metrics['threshold']:.3f} "
        "(the gates applied are listed below)"
    )
    verdict = "promoted to champion" if summary.promoted else "NOT promoted"
    lines.append(f"kinerja-risk version {summary.version}: {verdict}")
    lines.extend(f"  - {reason}" for reason in summary.reasons)
    if summary.exported is not None:
        lines.append(f"Champion exported to {summary.exported}")
    return "\n".join(lines)


def train(
    config: dict[str, Any],
    *,
    chunk_size: int,
    echo: Echo,
    quiet: bool = False,
    params: dict[str, Any] | None = None,
) -> TrainSummary:
    """Run the pipeline with a progress bar over its steps and the rows read."""
    steps = tqdm(total=len(STEPS), desc="train", unit="step", disable=quiet)
    rows = tqdm(desc="extract", unit="employee", disable=quiet, leave=False)

    def on_step(name: str) -> None:
        steps.set_postfix_str(name)
        if name != STEPS[0]:
            steps.update(1)

    try:
        summary = run(
            config["DATABASE_URL"],
            config["MLFLOW_TRACKING_URI"],
            config["KINERJA_MODELS_DIR"],
            params,
            chunk_size=chunk_size,
            on_step=on_step,
            on_rows=rows.update,
            gates=gates_from(config),
            compare=compare_from(config),
            sample=plan_from(config),
            min_group_answers=FeedbackSettings.from_mapping(config).min_group_answers,
        )
        steps.update(steps.total - steps.n)
    finally:
        rows.close()
        steps.close()
    echo(summary_table(summary))
    train_recommender(config, echo=echo)
    return summary


def train_recommender(config: dict[str, Any], *, echo: Echo) -> None:
    """Train the second model, `kinerja-recommender`, through the same registry and gates."""
    from training.recommender.pipeline import run_recommender_training

    result = run_recommender_training(
        config["DATABASE_URL"], config["MLFLOW_TRACKING_URI"], config["KINERJA_MODELS_DIR"]
    )
    metrics = result.metrics
    verdict = "promoted to champion" if result.promoted else "NOT promoted"
    echo(
        f"kinerja-recommender version {result.version}: {verdict}; "
        f"ndcg@5 {metrics['ndcg_at_5']:.3f} (rule {metrics['baseline_rule_ndcg_at_5']:.3f}, "
        f"popularity {metrics['baseline_popularity_ndcg_at_5']:.3f})"
    )
    echo("".join(f"  - {reason}\n" for reason in result.reasons).rstrip())


def train_job(config: dict[str, Any], database: Database, job_id: int, chunk_size: int,
              echo: Echo) -> bool:  # fmt: skip
    """Run queued job `job_id` (quietly) and record its outcome.

    A promoted model is scored at once, so the risk reads keep answering from stored rows
    (rows of the replaced version are not served) instead of computing live until the next
    scheduled `kinerja score`. When that scoring fails, the job fails with a message that
    says both (promoted to version N; the re-score failed, and why), raised as a
    ClickException so the command prints it as its last line and exits with status 1.
    """
    import click

    from training.jobs import PromotedButNotScored
    from training.jobs import run_job

    with database.sessions() as session:
        job = repo.get_job(session, job_id)
        stored = dict(job.params or {}) if job is not None else {}
    # A job's params also say what queued it (the scheduler's trigger and cron); only the
    # tree settings reach the pipeline.
    params = {name: value for name, value in stored.items() if name in DEFAULT_PARAMS}

    def train_then_score() -> TrainSummary:
        summary = train(config, chunk_size=chunk_size, echo=echo, quiet=True, params=params)
        if summary.promoted:
            try:
                score(config, DEFAULT_SCORE_CHUNK, "flagged", echo)
            except Exception as exc:  # noqa: BLE001 - the champion moved: say so with it
                raise PromotedButNotScored(summary, exc) from exc
        return summary

    try:
        return run_job(database, job_id, train_then_score)
    except PromotedButNotScored as exc:
        raise click.ClickException(str(exc)) from exc


def score(
    config: dict[str, Any],
    chunk_size: int,
    explain: str,
    echo: Echo,
    *,
    workers: int = 1,
    full: bool = False,
) -> None:
    """Score everyone for the latest period with a progress bar; print what was written."""
    from service.serving.trees import cache_compiled_code_under
    from training.score import score_all

    cache_compiled_code_under(config["KINERJA_HOME"])  # the workers load, not compile, the walk
    with tqdm(desc="score", unit="employee") as bar:
        summary = score_all(
            config["DATABASE_URL"],
            config["MLFLOW_TRACKING_URI"],
            config["KINERJA_MODELS_DIR"],
            chunk_size=chunk_size,
            explain=explain,
            on_rows=bar.update,
            workers=workers,
            full=full,
            min_group_answers=FeedbackSettings.from_mapping(config).min_group_answers,
        )
    source = "rule-based fallback" if summary.fallback else f"version {summary.model_version}"
    echo(
        f"Scored {summary.employees} employees for {summary.period} with kinerja-risk {source}: "
        f"{summary.scored} with a probability, {summary.flagged} flagged, "
        f"{summary.seconds:.1f} s"
    )
    echo(
        f"  {summary.recomputed} recomputed from their history, {summary.reused} from stored "
        f"features, {summary.untouched} left as stored"
        + (f"; {summary.stale} changed while scored, stored outdated" if summary.stale else "")
    )


def schedule(
    config: dict[str, Any], cron: str, poll: float, rounds: int | None, echo: Echo
) -> None:
    """Run the retrain scheduler until stopped (or for `rounds` polls)."""
    import click

    from service.db import make_database
    from training.schedule import Scheduler
    from training.schedule import next_time

    try:
        next_time(cron, datetime.now(UTC))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--cron") from None
    database = make_database(config["DATABASE_URL"])

    def run_one(job_id: int) -> None:
        echo(f"Running retrain job {job_id}")
        train_job(config, database, job_id, 50_000, echo)

    echo(f"Retrain schedule {cron!r} (UTC); polling every {poll:g} s for queued jobs")
    Scheduler(database, cron, run_one).serve(poll, rounds)
