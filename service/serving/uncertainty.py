"""How far to trust a risk probability: the model's own record on held-out employees.

A calibrated 30 % is a claim about many people, not a fact about one. peers.md 8.9 notes that
no system shows the uncertainty behind a score. The risk answer therefore carries, beside the
probability, what happened to the held-out employees the model put in the same probability
band when it was evaluated: how many there were, the share whose next predikat was poor, and
a Wilson interval for that share. A band with few people gets a wide interval, which is the
honest answer for a rare probability.

The bands are computed once at training time (`reliability_bands`, on the held-out period the
metrics come from), kept as a version tag and in the export's metadata, and looked up per
answer (`uncertainty`): a walk over at most ten bands, no pandas. The held-out rows are
grouped by band once (`BandTally`), and the bands, the reliability diagram and the ECE of
`training.evaluate` are all read from that one grouping.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Equal-width probability bands, as the reliability diagram and the ECE use.
BANDS = 10
#: The interval's confidence level, and its two-sided normal quantile.
LEVEL = 0.9
Z = 1.6448536269514722


@dataclass(frozen=True)
class Band:
    """One probability band's held-out record."""

    low: float
    high: float
    similar: int
    observed: float
    interval_low: float
    interval_high: float


def wilson_interval(poor: int, rows: int, z: float = Z) -> tuple[float, float]:
    """Wilson score interval of a proportion: unlike the normal one it stays inside [0, 1]
    and stays honest for a band of a handful of people or a share near 0 or 1."""
    if rows <= 0:
        return 0.0, 1.0
    share = poor / rows
    denominator = 1 + z * z / rows
    centre = (share + z * z / (2 * rows)) / denominator
    half = z * math.sqrt(share * (1 - share) / rows + z * z / (4 * rows * rows)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def band_index(probability: np.ndarray) -> np.ndarray:
    """Each probability's band (0 to BANDS - 1; a probability of 1 is in the top band)."""
    return np.minimum((np.asarray(probability) * BANDS).astype(int), BANDS - 1)


@dataclass(frozen=True)
class BandTally:
    """The held-out rows grouped by probability band, once: per band (0 to BANDS - 1) how
    many rows, how many of them turned out poor, and the sum of their probabilities."""

    rows: np.ndarray
    poor: np.ndarray
    probability: np.ndarray

    @classmethod
    def of(cls, y: np.ndarray, probability: np.ndarray) -> BandTally:
        """Tally `y` (1 where the next predikat was poor) and `probability` by band."""
        index = band_index(probability)
        outcome = np.asarray(y).astype(int)
        return cls(
            np.bincount(index, minlength=BANDS),
            np.bincount(index, weights=outcome, minlength=BANDS).astype(int),
            np.bincount(index, weights=np.asarray(probability, float), minlength=BANDS),
        )

    def filled(self) -> list[int]:
        """The bands with at least one row, lowest first."""
        return [band for band in range(BANDS) if self.rows[band] > 0]

    def bands(self) -> list[Band]:
        """The held-out record per non-empty band, with its Wilson interval."""
        bands = []
        for band in self.filled():
            count, poor = int(self.rows[band]), int(self.poor[band])
            low, high = wilson_interval(poor, count)
            bands.append(Band(band / BANDS, (band + 1) / BANDS, count, poor / count, low, high))
        return bands


def reliability_bands(y: np.ndarray, probability: np.ndarray) -> list[Band]:
    """The held-out record per non-empty band (`y` 1 where the next predikat was poor)."""
    return BandTally.of(y, probability).bands()


def bands_to_json(bands: Sequence[Band]) -> str:
    """The tag's (and the export metadata's) text: compact, four decimals."""
    return json.dumps(
        [
            [
                b.low,
                b.high,
                b.similar,
                round(b.observed, 4),
                round(b.interval_low, 4),
                round(b.interval_high, 4),
            ]
            for b in bands
        ],
        separators=(",", ":"),
    )


def bands_from_json(text: str | None) -> tuple[Band, ...]:
    """Bands from a tag or metadata text; empty for a model trained before bands existed
    or for a text that is not a list of six numbers per band (never an error: the answer
    then only lacks its uncertainty)."""
    if not text:
        return ()
    try:
        rows = json.loads(text)
        bands = tuple(
            Band(float(r[0]), float(r[1]), int(r[2]), float(r[3]), float(r[4]), float(r[5]))
            for r in rows
        )
    except (ValueError, TypeError, IndexError, KeyError):
        return ()
    return tuple(sorted(bands, key=lambda b: b.low))


def uncertainty(bands: Sequence[Band], probability: float) -> dict[str, Any] | None:
    """The answer's `uncertainty` block for a probability, or None when the model carries
    no record for its band (an old model, or a band nobody held out fell in)."""
    band = next((b for b in bands if b.low <= probability < b.high), None)
    if band is None and bands and probability == bands[-1].high:
        band = bands[-1]  # a probability of exactly 1 belongs to the top band
    if band is None:
        return None
    return {
        "level": LEVEL,
        "band": {"low": band.low, "high": band.high},
        "similar": band.similar,
        "observed": band.observed,
        "interval": {"low": band.interval_low, "high": band.interval_high},
    }
