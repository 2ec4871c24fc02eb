"""The `/models` page's report of one version: calibration and ROC curves, fairness, card.

Everything comes from what the version's training run logged (`serving.reports`); this
module only turns it into inline SVG charts (`web.charts`), tables and the card as HTML.
The card is markdown written by `training/card.py`; it is rendered with raw HTML disabled,
so nothing in it can add markup or scripts to the page.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from markdown_it import MarkdownIt
from markupsafe import Markup

from service.serving.loader import RegistryUnreachable
from service.serving.reports import Rows
from service.serving.reports import VersionReport
from service.serving.reports import operating_point
from service.serving.reports import roc_points
from service.serving.reports import version_report
from service.serving.uncertainty import BANDS
from service.web.charts import BarChart
from service.web.charts import Item
from service.web.charts import LineChart
from service.web.charts import Series
from service.web.charts import hbar_chart
from service.web.charts import unit_line_chart
from service.web.i18n import number
from service.web.i18n import tick

DIAGONAL = ((0.0, 0.0), (1.0, 1.0))
#: Width of a reliability bin (the bands of `service.serving.uncertainty`).
BIN_WIDTH = 1 / BANDS
#: The card's `#` heading becomes an h3 under the page's "Model card" h2.
CARD_HEADING_SHIFT = 2


def report_context(shown: dict[str, Any] | None) -> dict[str, Any]:
    """The template values of the shown version's report (all None without a run)."""
    empty = {
        "report": None,
        "report_error": None,
        "calibration_chart": None,
        "roc_chart": None,
        "roc_table": [],
        "fairness_chart": None,
        "fairness_gap": None,
        "card_html": None,
    }
    if not shown or not shown.get("run_id"):
        return empty
    try:
        report = version_report(current_app.config["MLFLOW_TRACKING_URI"], shown["run_id"])
    except RegistryUnreachable as exc:
        return {**empty, "report_error": str(exc)}
    return {
        **empty,
        "report": report,
        "calibration_chart": calibration_chart(report.reliability),
        "roc_chart": roc_chart(report),
        "roc_table": roc_table(report.reliability),
        "fairness_chart": fairness_chart(report.fairness),
        "fairness_gap": fairness_gap(report.metrics),
        "card_html": card_html(report.card) if report.card else None,
    }


def fairness_gap(metrics: dict[str, float]) -> str:
    """The largest TPR gap as the page prints it, or why it could not be measured.

    NaN (or no metric) means no gender or age band had two groups with enough poor
    outcomes: that is not a gap of 0, so no number is printed.
    """
    gap = metrics.get("fairness_max_tpr_gap", math.nan)
    if math.isfinite(gap):
        return number(gap, 3)
    return _("not measurable (too few poor outcomes per group)")


def calibration_chart(reliability: Rows) -> LineChart | None:
    """Observed poor rate against mean predicted probability per bin, beside the diagonal."""
    if not reliability:
        return None
    model = Series(
        _("model"),
        [(row["predicted"], row["observed"]) for row in reliability],
        titles=[_bin_title(row) for row in reliability],
    )
    perfect = Series(_("perfectly calibrated"), DIAGONAL, css="ref")
    return unit_line_chart(
        [perfect, model],
        x_label=_("Mean predicted probability"),
        y_label=_("Observed poor rate"),
        fmt=tick,
    )


def _bin_title(row: dict[str, Any]) -> str:
    return _(
        "%(rows)s people: predicted %(predicted)s, observed %(observed)s",
        rows=number(row["rows"], 0),
        predicted=number(row["predicted"], 3),
        observed=number(row["observed"], 3),
    )


def roc_chart(report: VersionReport) -> LineChart | None:
    """The ROC curve at the bins' thresholds, the chance diagonal and the flag threshold."""
    points = roc_points(report.reliability)
    if not points:
        return None
    lines = [Series(_("chance"), DIAGONAL, css="ref"), Series(_("model"), points)]
    operating = operating_point(report.metrics)
    if operating is not None:
        lines.append(Series(_("flag threshold"), [operating], css="alt"))
    return unit_line_chart(
        lines, x_label=_("False positive rate"), y_label=_("True positive rate"), fmt=tick
    )


def roc_table(reliability: Rows) -> list[dict[str, float]]:
    """The ROC curve's points with the threshold each stands for (for the table)."""
    points = roc_points(reliability)[1:]
    lower = sorted((row["bin"] * BIN_WIDTH for row in reliability), reverse=True)
    return [
        {"threshold": threshold, "fpr": fpr, "tpr": tpr}
        for threshold, (fpr, tpr) in zip(lower, points, strict=True)
    ]


def fairness_chart(fairness: Rows) -> BarChart | None:
    """True-positive rate of every group of gender and age band, as horizontal bars."""
    if not fairness:
        return None
    names = {"gender": _("gender"), "age_band": _("age band")}
    items = [
        Item(
            label=f"{names.get(row['attribute'], row['attribute'])}: {row['group']}",
            value=row["tpr"],
            title=_(
                "TPR %(tpr)s; %(positives)s poor outcomes among %(rows)s people",
                tpr=number(row["tpr"], 3),
                positives=number(row["positives"], 0),
                rows=number(row["rows"], 0),
            ),
            css="alt" if row["attribute"] == "age_band" else "",
        )
        for row in fairness
    ]
    return hbar_chart(items, x_max=1.0, left=150, fmt=tick)


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def card_html(card: str, shift: int = CARD_HEADING_SHIFT) -> Markup:
    """The model card's markdown as HTML (raw HTML in it is shown as text).

    Its headings move `shift` levels down, so the card nests under the page's own.
    """
    parser = _markdown()
    tokens = parser.parse(card)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1:]) + shift, 6)}"
    return Markup(parser.renderer.render(tokens, parser.options, {}))  # noqa: S704
