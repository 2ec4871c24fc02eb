"""The risk model's fixed, ordered feature list with labels a supervisor understands.

The order of `FEATURES` is the column order of every feature matrix, in training and in
serving; appending is safe for new models, reordering or renaming breaks served models.
Gender and age are deliberately absent: they are protected attributes that the fairness report
splits by, and the generator (like the regulation) gives them no effect on performance, so a
model could only learn bias from them. Tenure carries the experience signal instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.domain.entities import BerakhlakValue
from service.domain.entities import PeriodKind
from service.domain.entities import Predikat
from service.domain.entities import Rating

#: Fewer evaluated periods than this and the answer is "insufficient_data".
MIN_EVALUATED_PERIODS = 2

#: Ordinal of each predikat, higher is better.
PREDIKAT_SCORE: dict[str, float] = {
    Predikat.SANGAT_KURANG.value: 0.0,
    Predikat.KURANG.value: 1.0,
    Predikat.BUTUH_PERBAIKAN.value: 2.0,
    Predikat.BAIK.value: 3.0,
    Predikat.SANGAT_BAIK.value: 4.0,
}
#: A predikat score below this is a poor period (Predikat.is_poor).
POOR_BELOW = PREDIKAT_SCORE[Predikat.BAIK.value]

RATING_SCORE: dict[str, float] = {
    Rating.DI_BAWAH_EKSPEKTASI.value: -1.0,
    Rating.SESUAI_EKSPEKTASI.value: 0.0,
    Rating.DI_ATAS_EKSPEKTASI.value: 1.0,
}

#: Periods a "window" feature looks back over (about a year, three years for annual data).
WINDOW: dict[PeriodKind, int] = {PeriodKind.YEAR: 3, PeriodKind.QUARTER: 4, PeriodKind.MONTH: 12}

_VALUE_LABELS: dict[BerakhlakValue, tuple[str, str]] = {
    BerakhlakValue.BERORIENTASI_PELAYANAN: ("Berorientasi Pelayanan", "Service orientation"),
    BerakhlakValue.AKUNTABEL: ("Akuntabel", "Accountability"),
    BerakhlakValue.KOMPETEN: ("Kompeten", "Competence"),
    BerakhlakValue.HARMONIS: ("Harmonis", "Harmony"),
    BerakhlakValue.LOYAL: ("Loyal", "Loyalty"),
    BerakhlakValue.ADAPTIF: ("Adaptif", "Adaptability"),
    BerakhlakValue.KOLABORATIF: ("Kolaboratif", "Collaboration"),
}


@dataclass(frozen=True)
class Feature:
    """One model input: its column name and its label in Indonesian and in English."""

    name: str
    label: str
    label_en: str


def _value_features() -> list[Feature]:
    return [
        Feature(
            f"behavior_{value.value}_last",
            f"Nilai {label_id} periode terakhir",
            f"Last period's {label_en} ({label_id}) rating",
        )
        for value, (label_id, label_en) in _VALUE_LABELS.items()
    ]


FEATURES: tuple[Feature, ...] = (
    Feature("predikat_last", "Predikat periode terakhir", "Last period's predikat"),
    Feature("poor_last", "Predikat terakhir di bawah Baik", "Last predikat was below Baik"),
    Feature(
        "poor_share_window",
        "Porsi predikat di bawah Baik setahun terakhir",
        "Share of poor predikat in the last year",
    ),
    Feature("poor_streak", "Periode berturut-turut di bawah Baik", "Consecutive poor periods"),
    Feature("work_result_last", "Rating hasil kerja terakhir", "Last work-result rating"),
    Feature(
        "work_result_mean_window",
        "Rata-rata rating hasil kerja setahun terakhir",
        "Average work-result rating over the last year",
    ),
    Feature("behavior_last", "Rating perilaku kerja terakhir", "Last behaviour rating"),
    *_value_features(),
    Feature(
        "behavior_values_below_last",
        "Jumlah nilai BerAKHLAK di bawah ekspektasi",
        "Number of BerAKHLAK values rated below expectation",
    ),
    Feature(
        "behavior_values_mean_last",
        "Rata-rata nilai BerAKHLAK periode terakhir",
        "Average BerAKHLAK rating of the last period",
    ),
    Feature(
        "behavior_values_mean_window",
        "Rata-rata nilai BerAKHLAK setahun terakhir",
        "Average BerAKHLAK rating over the last year",
    ),
    Feature(
        "achievement_last",
        "Capaian realisasi RHK terhadap target periode terakhir",
        "Last period's RHK realisation against the pro-rated target",
    ),
    Feature(
        "achievement_mean_window",
        "Rata-rata capaian RHK setahun terakhir",
        "Average RHK realisation against target over the last year",
    ),
    Feature(
        "achievement_trend",
        "Perubahan capaian RHK dibanding periode sebelumnya",
        "Change in RHK realisation against the earlier periods",
    ),
    Feature("attendance_rate_last", "Tingkat kehadiran periode terakhir", "Last attendance rate"),
    Feature("late_rate_last", "Tingkat keterlambatan periode terakhir", "Last late-arrival rate"),
    Feature(
        "attendance_rate_window",
        "Tingkat kehadiran setahun terakhir",
        "Attendance rate over the last year",
    ),
    Feature("jpm", "Job Person Match (JPM) terakhir", "Latest job-person match (JPM)"),
    Feature(
        "competency_balance",
        "Rata-rata selisih level kompetensi terhadap standar",
        "Average competency level above (+) or below (-) the standard",
    ),
    Feature("max_gap", "Kesenjangan kompetensi terbesar", "Largest competency gap"),
    Feature("gap_count", "Jumlah kompetensi di bawah standar", "Competencies below standard"),
    Feature(
        "jp_last_year",
        "JP pengembangan kompetensi setahun terakhir",
        "Training hours (JP) completed in the last year",
    ),
    Feature("tenure_years", "Masa kerja (tahun)", "Years of service"),
    Feature("grade_rank", "Golongan ruang", "Civil-service grade (golongan)"),
    Feature(
        "poor_share_lookback",
        "Porsi predikat di bawah Baik dua tahun terakhir",
        "Share of poor predikat in the last two years",
    ),
    Feature(
        "work_result_mean_lookback",
        "Rata-rata rating hasil kerja dua tahun terakhir",
        "Average work-result rating over the last two years",
    ),
    Feature(
        "behavior_mean_lookback",
        "Rata-rata nilai BerAKHLAK dua tahun terakhir",
        "Average BerAKHLAK rating over the last two years",
    ),
    Feature(
        "achievement_mean_lookback",
        "Rata-rata capaian RHK dua tahun terakhir",
        "Average RHK realisation against target over the last two years",
    ),
    Feature(
        "rater_work_mean_lookback",
        "Rata-rata rating hasil kerja yang diberikan penilai (dua tahun)",
        "Average work-result rating this rater gives (two years)",
    ),
    Feature(
        "rater_behavior_mean_lookback",
        "Rata-rata rating perilaku yang diberikan penilai (dua tahun)",
        "Average behaviour rating this rater gives (two years)",
    ),
    Feature(
        "rater_poor_share_lookback",
        "Porsi predikat di bawah Baik yang diberikan penilai (dua tahun)",
        "Share of poor predikat this rater gives (two years)",
    ),
    Feature(
        "periods_evaluated",
        "Jumlah periode yang dinilai (dua tahun terakhir)",
        "Evaluated periods in the last two years",
    ),
    Feature(
        "periods_since_evaluation",
        "Periode sejak penilaian terakhir",
        "Periods since the last evaluation",
    ),
)

FEATURE_NAMES: tuple[str, ...] = tuple(feature.name for feature in FEATURES)
FEATURE_INDEX: dict[str, int] = {name: i for i, name in enumerate(FEATURE_NAMES)}
FEATURE_BY_NAME: dict[str, Feature] = {feature.name: feature for feature in FEATURES}

_GRADE_ROMAN = {"I": 0, "II": 1, "III": 2, "IV": 3}
_GRADE_LETTERS = "abcde"


def grade_rank(grade: object) -> float:
    """Rank a golongan such as "III/c" on one scale (I/a = 1 ... IV/e = 20); NaN if unknown."""
    if not isinstance(grade, str) or "/" not in grade:
        return float("nan")
    roman, letter = grade.strip().split("/", 1)
    if roman not in _GRADE_ROMAN or letter.lower() not in _GRADE_LETTERS:
        return float("nan")
    return float(_GRADE_ROMAN[roman] * 5 + _GRADE_LETTERS.index(letter.lower()) + 1)
