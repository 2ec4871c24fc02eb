"""What a caller chooses about a synthetic data set: size, seed, history, the fairness knob.

Everything the caller cannot choose (the causal coefficients) lives in `causal.py`.
`SyntheticConfig.validate()` checks every field before anything is written, and raises
`Invalid` naming the field, the bad value and the accepted range.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.domain.entities import Gender
from service.domain.entities import PeriodKind
from service.domain.errors import FieldError
from service.domain.errors import Invalid
from service.domain.periods import Period
from service.domain.periods import parse_period

MIN_EMPLOYEES = 20
MAX_EMPLOYEES = 10_000_000
MIN_CHUNK = 100
MAX_CHUNK = 200_000
MAX_QUARTERS = 40
MAX_HARSH_BIAS = 3.0
MAX_WRITERS = 8


@dataclass(frozen=True)
class SyntheticConfig:
    """Choices of one generated data set.

    Each chunk of at most `chunk_size` employees is one agency (instansi) with its own unit
    tree, so every supervisor sits in the same chunk as the people they rate. The same seed,
    chunk size and other fields give identical rows.

    `harsh_rater_bias` is the fairness knob: with 0 (the default) group membership has no
    effect on anything. With B > 0, a fraction `harsh_rater_fraction` of the supervisors
    (drawn at random, independent of everything else) rate members of `harsh_group` B latent
    standard deviations lower, on both the work-result and the behaviour score; true
    performance, attendance and realisations are untouched, so the bias is in the ratings only.

    `writers` > 1 writes that many chunks at once on PostgreSQL (ignored on SQLite); the
    rows are the same whatever the number of writers.
    """

    employees: int
    seed: int
    quarters: int = 8
    end_period: str = "2025-Q4"
    harsh_rater_bias: float = 0.0
    harsh_rater_fraction: float = 0.3
    harsh_group: Gender = Gender.P
    chunk_size: int = 25_000
    writers: int = 1

    def validate(self) -> None:
        """Raise `Invalid` listing every field outside its accepted range."""
        errors = [error for error in self._field_errors() if error is not None]
        if errors:
            raise Invalid(errors=errors)

    @property
    def last_period(self) -> Period:
        """The final quarter of the simulated history."""
        return parse_period(self.end_period, field="end_period")

    def periods(self) -> list[Period]:
        """Return the simulated quarters, oldest first."""
        periods = [self.last_period]
        for _ in range(self.quarters - 1):
            periods.insert(0, periods[0].previous())
        return periods

    def _field_errors(self) -> list[FieldError | None]:
        return [
            _range("employees", self.employees, MIN_EMPLOYEES, MAX_EMPLOYEES),
            _range("seed", self.seed, 0, 2**63 - 1),
            _range("quarters", self.quarters, 2, MAX_QUARTERS),
            _range("chunk_size", self.chunk_size, MIN_CHUNK, MAX_CHUNK),
            _range("writers", self.writers, 1, MAX_WRITERS),
            _range("harsh_rater_bias", self.harsh_rater_bias, 0.0, MAX_HARSH_BIAS),
            _range("harsh_rater_fraction", self.harsh_rater_fraction, 0.0, 1.0),
            _end_period_error(self.end_period) or self._history_error(),
        ]

    def _history_error(self) -> FieldError | None:
        try:
            self.periods()
        except Invalid as exc:
            detail = exc.errors[0].message if exc.errors else exc.detail
            return FieldError("quarters", f"history starts too early: {detail}")
        return None


def _range(name: str, value: float, low: float, high: float) -> FieldError | None:
    """Return an error when `value` lies outside [low, high]."""
    if low <= value <= high:
        return None
    return FieldError(name, f"must be between {low} and {high}; got {value}")


def _end_period_error(code: str) -> FieldError | None:
    """Return an error unless `code` is a quarter such as 2025-Q4."""
    try:
        period = parse_period(code, field="end_period")
    except Invalid as exc:
        return exc.errors[0]
    if period.kind is not PeriodKind.QUARTER:
        return FieldError("end_period", f"must be a quarter such as 2025-Q4; got {code!r}")
    return None
