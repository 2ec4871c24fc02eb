"""Bulk writes: constraints still hold on SQLite, a failed batch leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.db import make_engine
from service.db.base import Base
from tests.training.test_synthetic_support import read
from training.synthetic.writer import Batch
from training.synthetic.writer import open_writer
from training.synthetic.writer import prefetch


def _periods(kind: str, starts_on: str = "2025-01-01") -> Batch:
    return Batch(
        "periods",
        {
            "code": ["2025-Q1"],
            "kind": [kind],
            "year": [2025],
            "starts_on": [starts_on],
            "ends_on": ["2025-03-31"],
        },
    )


@pytest.mark.parametrize(
    ("batch", "constraint"),
    [
        (_periods("fortnight"), "ck_periods_periodkind"),
        (_periods("quarter", starts_on="2025-04-01"), "ck_periods_period_dates_ordered"),
    ],
)
def test_a_broken_check_constraint_rolls_the_chunk_back(
    tmp_path: Path, sqlite_template: Path, batch: Batch, constraint: str
) -> None:
    path = tmp_path / "w.db"
    path.write_bytes(sqlite_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")

    with pytest.raises(ValueError, match=constraint):
        with open_writer(engine, [Base.metadata]) as writer:
            writer.write(batch)

    assert read(engine, "SELECT COUNT(*) AS n FROM periods")["n"][0] == 0
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA ignore_check_constraints").scalar() == 0
    engine.dispose()


def test_a_valid_batch_is_committed(tmp_path: Path, sqlite_template: Path) -> None:
    path = tmp_path / "w.db"
    path.write_bytes(sqlite_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")

    with open_writer(engine, [Base.metadata]) as writer:
        written = writer.write(_periods("quarter"))

    assert written == 1
    assert read(engine, "SELECT code, kind FROM periods").values.tolist() == [
        ["2025-Q1", "quarter"]
    ]
    engine.dispose()


def test_prefetch_keeps_order_and_passes_errors_on() -> None:
    def numbers():
        yield from range(50)
        raise RuntimeError("producer failed")

    seen = []
    with pytest.raises(RuntimeError, match="producer failed"):
        for value in prefetch(numbers(), depth=3):
            seen.append(value)

    assert seen == list(range(50))
