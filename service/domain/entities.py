"""Enumerations of the regulation's terms, shared by storage, API, training and pages.

Values are the snake_case Indonesian terms fixed by API.md; they are stored as-is in the
database and sent as-is over the API, so renaming one is a breaking change.
"""

from __future__ import annotations

from enum import StrEnum


class Rating(StrEnum):
    """Three-level rating used for work results (hasil kerja) and behaviour (perilaku kerja)."""

    DI_ATAS_EKSPEKTASI = "di_atas_ekspektasi"
    SESUAI_EKSPEKTASI = "sesuai_ekspektasi"
    DI_BAWAH_EKSPEKTASI = "di_bawah_ekspektasi"


class Predikat(StrEnum):
    """Employee performance predikat (PermenPANRB 6/2022); `kurang` is Kurang/Misconduct."""

    SANGAT_BAIK = "sangat_baik"
    BAIK = "baik"
    BUTUH_PERBAIKAN = "butuh_perbaikan"
    KURANG = "kurang"
    SANGAT_KURANG = "sangat_kurang"

    @property
    def is_poor(self) -> bool:
        """Whether this predikat counts as a poor period (the risk model's target)."""
        return self in POOR_PREDIKAT


POOR_PREDIKAT = frozenset({Predikat.BUTUH_PERBAIKAN, Predikat.KURANG, Predikat.SANGAT_KURANG})


class OrganisationGrade(StrEnum):
    """Predikat of an organisation unit for a period (SE MenPANRB 3/2023, stage 1)."""

    ISTIMEWA = "istimewa"
    BAIK = "baik"
    BUTUH_PERBAIKAN = "butuh_perbaikan"
    KURANG = "kurang"
    SANGAT_KURANG = "sangat_kurang"


class BerakhlakValue(StrEnum):
    """The seven BerAKHLAK core values rated as perilaku kerja."""

    BERORIENTASI_PELAYANAN = "berorientasi_pelayanan"
    AKUNTABEL = "akuntabel"
    KOMPETEN = "kompeten"
    HARMONIS = "harmonis"
    LOYAL = "loyal"
    ADAPTIF = "adaptif"
    KOLABORATIF = "kolaboratif"


class PositionKind(StrEnum):
    """Kind of position (jabatan) as API.md names it."""

    STRUKTURAL = "struktural"
    FUNGSIONAL = "fungsional"
    PELAKSANA = "pelaksana"


class PositionLevel(StrEnum):
    """Tier of a position (jenjang jabatan): JPT, administration and functional grades."""

    JPT_UTAMA = "jpt_utama"
    JPT_MADYA = "jpt_madya"
    JPT_PRATAMA = "jpt_pratama"
    ADMINISTRATOR = "administrator"
    PENGAWAS = "pengawas"
    PELAKSANA = "pelaksana"
    AHLI_UTAMA = "ahli_utama"
    AHLI_MADYA = "ahli_madya"
    AHLI_MUDA = "ahli_muda"
    AHLI_PERTAMA = "ahli_pertama"
    PENYELIA = "penyelia"
    MAHIR = "mahir"
    TERAMPIL = "terampil"
    PEMULA = "pemula"


class CompetencyGroup(StrEnum):
    """Competency families of PermenPANRB 38/2017."""

    MANAJERIAL = "manajerial"
    SOSIAL_KULTURAL = "sosial_kultural"
    TEKNIS = "teknis"


class Gender(StrEnum):
    L = "L"
    P = "P"


class EmploymentStatus(StrEnum):
    CPNS = "cpns"
    PNS = "pns"
    PPPK = "pppk"
    PPPK_PARUH_WAKTU = "pppk_paruh_waktu"


#: Contract civil servants (PPPK, also part-time): their NIP and golongan differ from a PNS's.
PPPK_STATUSES = frozenset({EmploymentStatus.PPPK, EmploymentStatus.PPPK_PARUH_WAKTU})


class SkpModel(StrEnum):
    """SKP model: JPT (senior leaders) or JA/JF (administrators and functional staff)."""

    JPT = "jpt"
    JA_JF = "ja_jf"


class SkpApproach(StrEnum):
    KUANTITATIF = "kuantitatif"
    KUALITATIF = "kualitatif"


class SkpStatus(StrEnum):
    DRAFT = "draft"
    DIAJUKAN = "diajukan"
    DITETAPKAN = "ditetapkan"
    DIBATALKAN = "dibatalkan"


class RhkKind(StrEnum):
    """Main or additional work result (hasil kerja utama / tambahan)."""

    UTAMA = "utama"
    TAMBAHAN = "tambahan"


class IndicatorAspect(StrEnum):
    """Aspect of an individual indicator (IKI); `biaya` is unconfirmed under 6/2022."""

    KUANTITAS = "kuantitas"
    KUALITAS = "kualitas"
    WAKTU = "waktu"
    BIAYA = "biaya"


class EvaluationKind(StrEnum):
    PERIODIK = "periodik"
    TAHUNAN = "tahunan"


class PredikatSource(StrEnum):
    """Where a stored predikat came from: the matrix, or a leader's documented override."""

    MATRIX = "matrix"
    OVERRIDE = "override"


class FeedbackTarget(StrEnum):
    RHK = "rhk"
    PERILAKU = "perilaku"


class TrainingMode(StrEnum):
    """Classroom or non-classroom learning (pelatihan klasikal / nonklasikal)."""

    KLASIKAL = "klasikal"
    NONKLASIKAL = "nonklasikal"


class EnrolmentStatus(StrEnum):
    ENROLLED = "enrolled"
    COMPLETED = "completed"


class Role(StrEnum):
    """Access roles of API.md; a supervisor is also an employee."""

    ADMIN = "admin"
    HR = "hr"
    SUPERVISOR = "supervisor"
    EMPLOYEE = "employee"
    DATA = "data"


class PeriodKind(StrEnum):
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"


# --- continuous performance: activity log, dialogues, reminders (issue 8) ---


class ActivityStatus(StrEnum):
    """State of a daily activity entry (laporan kinerja harian): as written, or seen by a
    supervisor above the employee."""

    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"


class DialogueKind(StrEnum):
    """Kind of a performance conversation (domain.md DialogKinerja / bimbingan kinerja)."""

    DIALOG = "dialog"
    COACHING = "coaching"
    MENTORING = "mentoring"
    KONSELING = "konseling"


class NotificationKind(StrEnum):
    """What an in-app reminder (and its email) is about."""

    REALISATION_DUE = "realisation_due"
    EVALUATION_DUE = "evaluation_due"
    FEEDBACK_ROUND_WAITING = "feedback_round_waiting"
    DEVELOPMENT_JP_LOW = "development_jp_low"
    RISK_WITHOUT_DIALOGUE = "risk_without_dialogue"
    OBJECTION_FILED = "objection_filed"  # to its decider: the rater's superior, or hr/admin
    OBJECTION_DECIDED = "objection_decided"  # to the employee who objected
