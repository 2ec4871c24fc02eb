"""Explicit ids and national-scale NIP uniqueness of the generator."""

from __future__ import annotations

import numpy as np
import pytest

from service.domain.entities import Gender
from service.domain.nip import check_nip
from training.synthetic.ids import IdAllocator
from training.synthetic.ids import NipRegistry


def test_allocator_continues_after_stored_ids_and_never_repeats() -> None:
    allocator = IdAllocator({"employees": 41})

    first = allocator.take("employees", 3)
    second = allocator.take("employees", 2)
    other = allocator.take("units", 2)

    assert first.tolist() == [41, 42, 43]
    assert second.tolist() == [44, 45]
    assert other.tolist() == [1, 2]


def test_nips_stay_unique_across_chunks_that_share_prefixes() -> None:
    rng = np.random.default_rng(3)
    registry = NipRegistry()
    nips: list[str] = []
    for _ in range(4):  # four chunks drawn from the same few birth dates and TMT months
        n = 5_000
        birth = np.datetime64("1980-01-01") + rng.integers(0, 20, n).astype("timedelta64[D]")
        hire = np.datetime64("2005-03") + rng.integers(0, 2, n).astype("timedelta64[M]")
        female = rng.random(n) < 0.56
        chunk = registry.assign(birth, hire.astype("datetime64[D]"), female)
        for nip, born, is_female in zip(chunk[:50], birth[:50], female[:50], strict=True):
            check_nip(nip, born.astype(object), Gender.P if is_female else Gender.L)
        nips += chunk

    assert len(set(nips)) == len(nips)
    assert max(int(nip[-3:]) for nip in nips) > 100  # the sequence really counted up


def test_nip_sequence_overflow_is_refused() -> None:
    registry = NipRegistry()
    same = np.full(1_000, np.datetime64("1990-05-05"))

    with pytest.raises(ValueError, match="more than 999 people"):
        registry.assign(same, same, np.zeros(1_000, dtype=bool))
