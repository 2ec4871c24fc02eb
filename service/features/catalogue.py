"""The risk model's fixed, ordered feature list: names, labels, and how each is computed.

Each `Feature` carries its column name, its label in Indonesian and in English (what a
supervisor reads as a driver), and `compute`, a function of the `Window` (the panel as known at
the end of one period) that returns the column. Adding a feature is one entry here; a feature
from a new kind of record also needs that record as a panel array (`panel.py`) and its query.

The order of `FEATURES` is the column order of every feature matrix, in training and in
serving; appending is safe for new models, reordering or renaming breaks served models.
Gender and age are deliberately absent: they are protected attributes that the fairness report
splits by, and the generator (like the regulation) gives them no effect on performance, so a
model could only learn bias from them. Tenure carries the experience signal instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

import numpy as np

from service.domain.entities import BerakhlakValue
from service.features.scales import MIN_EVALUATED_PERIODS
from service.features.scales import POOR_BELOW
from service.features.scales import PREDIKAT_SCORE
from service.features.scales import RATING_SCORE
from service.features.scales import WINDOW
from service.features.scales import grade_rank
from service.features.window import Window
from service.features.window import mean
from service.features.window import pick
from service.features.window import streak

Compute = Callable[[Window], np.ndarray]

_VALUE_LABELS: dict[BerakhlakValue, tuple[str, str]] = {
    BerakhlakValue.BERORIENTASI_PELAYANAN: ("Berorientasi Pelayanan", "Service orientation"),
    BerakhlakValue.AKUNTABEL: ("Akuntabel", "Accountability"),
    BerakhlakValue.KOMPETEN: ("Kompeten", "Competence"),
    BerakhlakValue.HARMONIS: ("Harmonis", "Harmony"),
    BerakhlakValue.LOYAL: ("Loyal", "Loyalty"),
    BerakhlakValue.ADAPTIF: ("Adaptif", "Adaptability"),
    BerakhlakValue.KOLABORATIF: ("Kolaboratif", "Collaboration"),
}


def _unset(window: Window) -> np.ndarray:
    raise NotImplementedError("this feature has no compute function")


@dataclass(frozen=True)
class Feature:
    """One model input: column name, labels (Indonesian, English), and its computation."""

    name: str
    label: str
    label_en: str
    compute: Compute = field(default=_unset, repr=False, compare=False)


def _value_last(column: str) -> Compute:
    return lambda w: w.value_last(column)


def _value_features() -> list[Feature]:
    return [
        Feature(
            f"behavior_{value.value}_last",
            f"Nilai {label_id} periode terakhir",
            f"Last period's {label_en} ({label_id}) rating",
            _value_last(f"behavior_{value.value}"),
        )
        for value, (label_id, label_en) in _VALUE_LABELS.items()
    ]


#: Appended for issue 8: the continuous-performance signals (see `signals.py`). The pipeline
#: also trains a model without them and logs the difference (`training/compare.py`).
CONTINUOUS_FEATURES: tuple[Feature, ...] = (
    Feature(
        "activity_log_share_last",
        "Keteraturan laporan kinerja harian periode terakhir",
        "Share of last period's months with activity-log entries",
        lambda w: w.activity_share(w.now(w.panel.activity_months)),
    ),
    Feature(
        "activity_log_share_window",
        "Keteraturan laporan kinerja harian setahun terakhir",
        "Share of the last year's months with activity-log entries",
        lambda w: w.activity_share(w.recent(w.panel.activity_months)),
    ),
    Feature(
        "feedback360_peer_mean",
        "Rata-rata umpan balik 360 dari rekan kerja dan bawahan",
        "Average 360 feedback from peers and subordinates (shown groups only)",
        Window.peer360_latest,
    ),
    Feature(
        "dialogue_follow_through_window",
        "Tindak lanjut rencana aksi dialog kinerja setahun terakhir",
        "Share of agreed dialogue actions done in the last year",
        Window.follow_through,
    ),
)

FEATURES: tuple[Feature, ...] = (
    Feature(
        "predikat_last",
        "Predikat periode terakhir",
        "Last period's predikat",
        lambda w: w.at_last(w.panel.predikat),
    ),
    Feature(
        "poor_last",
        "Predikat terakhir di bawah Baik",
        "Last predikat was below Baik",
        lambda w: pick(w.poor_or_nan, w.last),
    ),
    Feature(
        "poor_share_window",
        "Porsi predikat di bawah Baik setahun terakhir",
        "Share of poor predikat in the last year",
        lambda w: mean(w.poor_or_nan[:, w.wlo :], 1),
    ),
    Feature(
        "poor_streak",
        "Periode berturut-turut di bawah Baik",
        "Consecutive poor periods",
        lambda w: streak(w.poor[:, w.wlo :], w.evaluated[:, w.wlo :]),
    ),
    Feature(
        "work_result_last",
        "Rating hasil kerja terakhir",
        "Last work-result rating",
        lambda w: w.at_last(w.panel.work),
    ),
    Feature(
        "work_result_mean_window",
        "Rata-rata rating hasil kerja setahun terakhir",
        "Average work-result rating over the last year",
        lambda w: mean(w.recent(w.panel.work), 1),
    ),
    Feature(
        "behavior_last",
        "Rating perilaku kerja terakhir",
        "Last behaviour rating",
        lambda w: w.at_last(w.panel.behavior),
    ),
    *_value_features(),
    Feature(
        "behavior_values_below_last",
        "Jumlah nilai BerAKHLAK di bawah ekspektasi",
        "Number of BerAKHLAK values rated below expectation",
        Window.values_below_last,
    ),
    Feature(
        "behavior_values_mean_last",
        "Rata-rata nilai BerAKHLAK periode terakhir",
        "Average BerAKHLAK rating of the last period",
        lambda w: mean(w.latest_values, 1),
    ),
    Feature(
        "behavior_values_mean_window",
        "Rata-rata nilai BerAKHLAK setahun terakhir",
        "Average BerAKHLAK rating over the last year",
        lambda w: mean(w.recent(w.panel.values), (1, 2)),
    ),
    Feature(
        "achievement_last",
        "Capaian realisasi RHK terhadap target periode terakhir",
        "Last period's RHK realisation against the pro-rated target",
        Window.achievement_last,
    ),
    Feature(
        "achievement_mean_window",
        "Rata-rata capaian RHK setahun terakhir",
        "Average RHK realisation against target over the last year",
        lambda w: mean(w.recent(w.panel.achievement), 1),
    ),
    Feature(
        "achievement_trend",
        "Perubahan capaian RHK dibanding periode sebelumnya",
        "Change in RHK realisation against the earlier periods",
        Window.achievement_trend,
    ),
    Feature(
        "attendance_rate_last",
        "Tingkat kehadiran periode terakhir",
        "Last attendance rate",
        lambda w: w.attendance_rate("now"),
    ),
    Feature(
        "late_rate_last",
        "Tingkat keterlambatan periode terakhir",
        "Last late-arrival rate",
        lambda w: w.late_rate("now"),
    ),
    Feature(
        "attendance_rate_window",
        "Tingkat kehadiran setahun terakhir",
        "Attendance rate over the last year",
        lambda w: w.recent_ratio(w.panel.present_days, w.panel.work_days),
    ),
    Feature(
        "jpm",
        "Job Person Match (JPM) terakhir",
        "Latest job-person match (JPM)",
        lambda w: w.now(w.panel.jpm),
    ),
    Feature(
        "competency_balance",
        "Rata-rata selisih level kompetensi terhadap standar",
        "Average competency level above (+) or below (-) the standard",
        lambda w: w.now(w.panel.balance),
    ),
    Feature(
        "max_gap",
        "Kesenjangan kompetensi terbesar",
        "Largest competency gap",
        lambda w: w.now(w.panel.max_gap),
    ),
    Feature(
        "gap_count",
        "Jumlah kompetensi di bawah standar",
        "Competencies below standard",
        lambda w: w.now(w.panel.gap_count),
    ),
    Feature(
        "jp_last_year",
        "JP pengembangan kompetensi setahun terakhir",
        "Training hours (JP) completed in the last year",
        Window.jp_last_year,
    ),
    Feature("tenure_years", "Masa kerja (tahun)", "Years of service", Window.tenure_years),
    Feature(
        "grade_rank",
        "Golongan ruang",
        "Civil-service grade (golongan)",
        lambda w: w.panel.grade.astype(np.float64),
    ),
    Feature(
        "poor_share_lookback",
        "Porsi predikat di bawah Baik dua tahun terakhir",
        "Share of poor predikat in the last two years",
        lambda w: mean(w.poor_or_nan, 1),
    ),
    Feature(
        "work_result_mean_lookback",
        "Rata-rata rating hasil kerja dua tahun terakhir",
        "Average work-result rating over the last two years",
        lambda w: mean(w.span(w.panel.work), 1),
    ),
    Feature(
        "behavior_mean_lookback",
        "Rata-rata nilai BerAKHLAK dua tahun terakhir",
        "Average BerAKHLAK rating over the last two years",
        lambda w: mean(w.span(w.panel.values), (1, 2)),
    ),
    Feature(
        "achievement_mean_lookback",
        "Rata-rata capaian RHK dua tahun terakhir",
        "Average RHK realisation against target over the last two years",
        lambda w: mean(w.span(w.panel.achievement), 1),
    ),
    Feature(
        "rater_work_mean_lookback",
        "Rata-rata rating hasil kerja yang diberikan penilai (dua tahun)",
        "Average work-result rating this rater gives (two years)",
        lambda w: w.rater_mean("work"),
    ),
    Feature(
        "rater_behavior_mean_lookback",
        "Rata-rata rating perilaku yang diberikan penilai (dua tahun)",
        "Average behaviour rating this rater gives (two years)",
        lambda w: w.rater_mean("behavior"),
    ),
    Feature(
        "rater_poor_share_lookback",
        "Porsi predikat di bawah Baik yang diberikan penilai (dua tahun)",
        "Share of poor predikat this rater gives (two years)",
        lambda w: w.rater_mean("poor"),
    ),
    Feature(
        "periods_evaluated",
        "Jumlah periode yang dinilai (dua tahun terakhir)",
        "Evaluated periods in the last two years",
        lambda w: w.evaluated.sum(axis=1).astype(np.float64),
    ),
    Feature(
        "periods_since_evaluation",
        "Periode sejak penilaian terakhir",
        "Periods since the last evaluation",
        Window.periods_since_evaluation,
    ),
    # Appended for models trained from 2025-11 on: realisations split by aspect, the period
    # before the last, and the rater's team output (which tells a lenient rater from a strong
    # team: the same ratings over a weaker output mean a more lenient rater).
    Feature(
        "output_last",
        "Capaian output (kuantitas) terhadap target periode terakhir",
        "Last period's output (quantity indicators) against the pro-rated target",
        lambda w: w.now(w.panel.output),
    ),
    Feature(
        "output_prev",
        "Capaian output (kuantitas) terhadap target periode sebelumnya",
        "The previous period's output (quantity indicators) against the pro-rated target",
        lambda w: w.before(w.panel.output),
    ),
    Feature(
        "output_mean_lookback",
        "Rata-rata capaian output (kuantitas) dua tahun terakhir",
        "Average output (quantity indicators) against target over the last two years",
        lambda w: mean(w.span(w.panel.output), 1),
    ),
    Feature(
        "quality_last",
        "Capaian indikator kualitas terhadap target periode terakhir",
        "Last period's quality indicators against their target",
        lambda w: w.now(w.panel.quality),
    ),
    Feature(
        "quality_prev",
        "Capaian indikator kualitas terhadap target periode sebelumnya",
        "The previous period's quality indicators against their target",
        lambda w: w.before(w.panel.quality),
    ),
    Feature(
        "quality_mean_lookback",
        "Rata-rata capaian indikator kualitas dua tahun terakhir",
        "Average quality indicators against target over the last two years",
        lambda w: mean(w.span(w.panel.quality), 1),
    ),
    Feature(
        "attendance_rate_prev",
        "Tingkat kehadiran periode sebelumnya",
        "The previous period's attendance rate",
        lambda w: w.attendance_rate("before"),
    ),
    Feature(
        "late_rate_prev",
        "Tingkat keterlambatan periode sebelumnya",
        "The previous period's late-arrival rate",
        lambda w: w.late_rate("before"),
    ),
    Feature(
        "late_rate_window",
        "Tingkat keterlambatan setahun terakhir",
        "Late-arrival rate over the last year",
        lambda w: w.recent_ratio(w.panel.late_days, w.panel.present_days),
    ),
    Feature(
        "behavior_values_mean_prev",
        "Rata-rata nilai BerAKHLAK periode sebelumnya",
        "Average BerAKHLAK rating of the previous period",
        Window.values_mean_before,
    ),
    Feature(
        "rater_output_mean_lookback",
        "Capaian output tim yang dinilai penilai yang sama (dua tahun)",
        "Output against target of everyone this rater rates (two years)",
        Window.rater_output,
    ),
    *CONTINUOUS_FEATURES,
)

FEATURE_NAMES: tuple[str, ...] = tuple(feature.name for feature in FEATURES)
FEATURE_INDEX: dict[str, int] = {name: i for i, name in enumerate(FEATURE_NAMES)}
FEATURE_BY_NAME: dict[str, Feature] = {feature.name: feature for feature in FEATURES}

__all__ = [
    "CONTINUOUS_FEATURES",
    "FEATURES",
    "FEATURE_BY_NAME",
    "FEATURE_INDEX",
    "FEATURE_NAMES",
    "MIN_EVALUATED_PERIODS",
    "POOR_BELOW",
    "PREDIKAT_SCORE",
    "RATING_SCORE",
    "WINDOW",
    "Feature",
    "grade_rank",
]
