"""Which employees a retrain reads: everyone, or a deterministic hash sample of bounded size.

A national retrain does not need 5.6 million employees: the held-out ROC AUC stops improving
long before (bench/README.md, "Learning curve"), while time and memory grow with every row.
`draw_sample` reads only the employee ids (one primary-key scan, the part that still grows
with the database) and keeps whole blocks of `block` consecutive ids, ranked by a seeded
64-bit hash of the block number, until `max_employees` are reached: a cluster sample in which
every employee has the same chance. Blocks are read by id range
(`repositories.risk_batch.range_histories`, statements whose cost is the range's own), so
reading the sample costs what reading that many employees costs, whatever the database's
size; a set of scattered ids would be read by statements SQLite drives from whole tables.
A block also keeps a supervisor's team together, so each rater's statistics come from the
same rows as at serving time (they never depend on who was sampled).

The rank depends on nothing but (seed, block), so the sample is the same on every retrain of
the same database, a smaller cap gives a subset of a larger cap's sample, and a new employee
enters only with its block.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Engine
from sqlalchemy import select

from service.config import ConfigError
from service.db.models import Employee

#: Default cap on the employees a retrain reads (RISK_TRAIN_MAX_EMPLOYEES). The learning curve
#: in bench/README.md still gains 0.0016 ROC AUC from 100k to 200k employees, and no tree
#: setting gains as much at 100k (`learning_curve.compare_settings`); a retrain of 200k
#: sampled employees measured 252 s CPU and 3.6 GiB peak RSS (budget 15 min, 12 GB).
DEFAULT_MAX_EMPLOYEES = 200_000
#: A smaller cap leaves a held-out period too small for the gates (ECE, TPR gap per group).
MIN_MAX_EMPLOYEES = 1_000
DEFAULT_SAMPLE_SEED = 0
#: Consecutive ids sampled together (`SamplePlan.block`): 200 blocks at the default cap.
DEFAULT_BLOCK = 1_000
#: Ids per IN list when reading by id (SQLite allows 32,766 variables, PostgreSQL 65,535).
IN_LIST_IDS = 10_000
#: `compare_signals` "auto" fits the second model only up to this many sampled employees.
COMPARE_AUTO_EMPLOYEES = 30_000
_ID_PART = 100_000
_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


@dataclass(frozen=True)
class SamplePlan:
    """How many employees a retrain may read (None: everyone), the hash seed, the block size."""

    max_employees: int | None = DEFAULT_MAX_EMPLOYEES
    seed: int = DEFAULT_SAMPLE_SEED
    block: int = DEFAULT_BLOCK


EVERYONE = SamplePlan(max_employees=None)


@dataclass(frozen=True)
class EmployeeSample:
    """The employees drawn by `plan` out of `population`, as sorted ids."""

    plan: SamplePlan
    population: int
    employee_ids: np.ndarray

    @property
    def size(self) -> int:
        return len(self.employee_ids)

    @property
    def sampled(self) -> bool:
        """True when some employees were left out."""
        return self.size < self.population

    def ranges(self, chunk_size: int) -> Iterator[tuple[int, int]]:
        """Inclusive id ranges of at most `chunk_size` sampled employees, covering the sample.

        Everyone: consecutive runs of ids. A sample: runs of adjacent sampled blocks, so a
        range holds no employee outside the sample.
        """
        ids = self.employee_ids
        if not len(ids):
            return
        blocks = ids // self.plan.block
        breaks = np.flatnonzero(np.diff(blocks) > 1) + 1 if self.sampled else np.empty(0, int)
        for run in np.split(ids, breaks):
            for start in range(0, len(run), chunk_size):
                part = run[start : start + chunk_size]
                yield int(part[0]), int(part[-1])

    def params(self) -> dict[str, Any]:
        """What MLflow records about the sample."""
        cap = self.plan.max_employees
        return {
            "sample.max_employees": "all" if cap is None else cap,
            "sample.seed": self.plan.seed,
            "sample.block": self.plan.block,
            "sample.employees": self.size,
            "sample.population": self.population,
        }

    def describe(self) -> str:
        """One sentence for the model card."""
        if not self.sampled:
            cap = self.params()["sample.max_employees"]
            return f"all {self.population:,} employees (RISK_TRAIN_MAX_EMPLOYEES {cap})"
        return (
            f"a deterministic hash sample of {self.size:,} of {self.population:,} employees "
            f"in blocks of {self.plan.block:,} consecutive ids (RISK_TRAIN_MAX_EMPLOYEES "
            f"{self.plan.max_employees:,}, seed {self.plan.seed})"
        )


def sample_keys(employee_ids: np.ndarray, seed: int) -> np.ndarray:
    """A uniform 64-bit key per id (splitmix64 of id + seed); distinct ids, distinct keys."""
    offset = np.uint64((seed * _GOLDEN) & _MASK)
    z = employee_ids.astype(np.uint64) + offset
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def rank_by_key(employee_ids: np.ndarray, seed: int) -> np.ndarray:
    """`employee_ids` in sample order: the first n of it are the sample of cap n."""
    return employee_ids[np.argsort(sample_keys(employee_ids, seed), kind="stable")]


def draw(employee_ids: np.ndarray, plan: SamplePlan) -> np.ndarray:
    """Sorted ids of the lowest-keyed blocks holding at least `plan.max_employees` (or all)."""
    cap = plan.max_employees
    if cap is None or len(employee_ids) <= cap:
        return np.sort(employee_ids)
    blocks, sizes = np.unique(employee_ids // plan.block, return_counts=True)
    order = np.argsort(sample_keys(blocks, plan.seed), kind="stable")
    enough = int(np.searchsorted(np.cumsum(sizes[order]), cap)) + 1
    chosen = np.isin(employee_ids // plan.block, blocks[order[:enough]])
    return np.sort(employee_ids[chosen])


def read_employee_ids(engine: Engine) -> np.ndarray:
    """Every employee id, streamed in parts into one int64 array (8 bytes per employee)."""
    parts = []
    with engine.connect() as connection:
        result = connection.execution_options(yield_per=_ID_PART).execute(select(Employee.id))
        for part in result.scalars().partitions():
            parts.append(np.fromiter(part, dtype=np.int64, count=len(part)))
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def draw_sample(engine: Engine, plan: SamplePlan) -> EmployeeSample:
    """Read the ids and draw the sample `plan` asks for."""
    ids = read_employee_ids(engine)
    return EmployeeSample(plan, len(ids), draw(ids, plan))


def plan_from(config: Mapping[str, Any]) -> SamplePlan:
    """The sample RISK_TRAIN_MAX_EMPLOYEES and RISK_TRAIN_SAMPLE_SEED ask for."""
    raw_cap = str(config.get("RISK_TRAIN_MAX_EMPLOYEES") or "").strip().lower()
    raw_seed = str(config.get("RISK_TRAIN_SAMPLE_SEED") or "").strip()
    cap: int | None = DEFAULT_MAX_EMPLOYEES
    if raw_cap == "all":
        cap = None
    elif raw_cap:
        cap = _integer("RISK_TRAIN_MAX_EMPLOYEES", raw_cap, MIN_MAX_EMPLOYEES, " or 'all'")
    seed = _integer("RISK_TRAIN_SAMPLE_SEED", raw_seed, 0, "") if raw_seed else DEFAULT_SAMPLE_SEED
    return SamplePlan(cap, seed)


def compare_from(config: Mapping[str, Any]) -> bool | None:
    """RISK_TRAIN_COMPARE_SIGNALS: true, false, or auto/unset (None: decided by sample size)."""
    raw = str(config.get("RISK_TRAIN_COMPARE_SIGNALS") or "auto").strip().lower()
    choices = {"auto": None, "true": True, "1": True, "false": False, "0": False}
    if raw not in choices:
        raise ConfigError(f"RISK_TRAIN_COMPARE_SIGNALS must be auto, true or false, not {raw!r}")
    return choices[raw]


def compare_for(choice: bool | None, sample: EmployeeSample) -> bool:
    """Whether to fit the model without the signals: as chosen, or when the sample is small."""
    return choice if choice is not None else sample.size <= COMPARE_AUTO_EMPLOYEES


def _integer(key: str, raw: str, lowest: int, alternative: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = lowest - 1
    if value < lowest:
        raise ConfigError(
            f"{key} must be a whole number of at least {lowest:,}{alternative}, not {raw!r}"
        )
    return value
