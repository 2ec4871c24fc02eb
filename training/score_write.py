"""How `kinerja score` writes one range's answers back (`training.score_stored` reads them).

The write replaces the stored rows of the range in one transaction: an answer per employee
answered (`Answers`) and the feature rows of those whose history was read. A row answered
again from its stored feature row (a re-score after a promotion) keeps that row as it is:
only its answer is written (a record of about 100 bytes, the drivers of a flagged row
aside), not the 432 bytes of features that did not change (`risk_feature_rows`,
migration 0024).

A row that was fresh when the range was read and is outdated by then had its inputs changed
meanwhile, so the new row is written outdated too (the risk read answers it live; the next
run recomputes it). Both backends update the stored rows in place and keep such a row
outdated: SQLite by an `executemany` by row id (`update_rows`), PostgreSQL by one UPDATE
binding the answers as arrays (`update_arrays`, HOT updates in the half-full pages of
migration 0026). A new period's rows (none stored) are copied in on PostgreSQL after a
delete `RETURNING outdated` (`copy_rows`).
Not detectable: a change committed between the history read and the write to an employee
whose row was already outdated (or absent) when the range was read; its `forget_scores`
finds nothing to mark. A full scoring (`--full`) had that window for every row. Two runs
scoring one range at once share the window: a row one of them recomputed after such a
change may then get the other's answer, computed from the feature row it read before.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import bindparam
from sqlalchemy import text

from training.score_stored import batches
from training.score_stored import fetch_all
from training.score_stored import fetch_listed

#: The `risk_scores` columns whose values differ between the rows of one write.
VARYING = ("employee_id", "status", "probability", "flagged", "threshold", "drivers")
#: ... and those every row of one write shares (`Answers.shared`).
SHARED = ("period", "model_name", "model_version", "fallback", "feature_set", "scored_at")
_ANSWER_COLUMNS = (*VARYING, *SHARED, "outdated")


@dataclass
class Answers:
    """One range's answers as `risk_scores` columns (a list each, aligned on the employees)
    and the feature rows to store with them."""

    employee_ids: list[int]
    status: list[str]
    probability: list[float | None]
    flagged: list[bool]
    threshold: list[float | None]
    #: JSON text (`null`: not explained).
    drivers: list[str]
    #: `SHARED` column -> the value of every row (`scored_at` as `score.scored_at` makes it).
    shared: dict[str, Any]
    #: Whether each employee's row was stored and not outdated when the range was read.
    fresh: list[bool]
    #: The id of each employee's row stored when the range was read (0: none).
    row_ids: list[int]
    #: `risk_feature_rows` rows (employee id, period, feature row as stored) of the
    #: employees whose history was read.
    features: list[tuple[int, str, bytes]]
    #: The panel slice of each of `features` (`features.panel_slice`; None: none kept).
    slices: list[bytes | None] | None = None

    def columns(self) -> tuple[list[Any], ...]:
        """The `VARYING` columns."""
        return (
            self.employee_ids, self.status, self.probability, self.flagged, self.threshold,
            self.drivers,
        )  # fmt: skip


def write_scores(
    connection: Connection,
    span: tuple[str, int, int],
    answers: Answers,
    only: Sequence[int] | None = None,
) -> int:
    """Replace the scores of the period `span[0]` and employees `span[1]..span[2]` (or of
    `only`) with `answers`; the number written outdated (their inputs changed meanwhile)."""
    if connection.dialect.name == "postgresql":
        return update_arrays(connection, span, answers, only)
    return update_rows(connection, span, answers, only)


_DELETE_RANGE = text(
    "DELETE FROM risk_scores WHERE period || '' = :period "
    "AND employee_id BETWEEN :first AND :last RETURNING employee_id, outdated"
)
_DELETE_SOME = text(
    "DELETE FROM risk_scores WHERE period = :period AND employee_id IN :ids "
    "RETURNING employee_id, outdated"
).bindparams(bindparam("ids", expanding=True))
_DELETE_FEATURES_RANGE = text(
    "DELETE FROM risk_feature_rows WHERE period = :period AND employee_id BETWEEN :first AND :last"
)
_DELETE_FEATURES_SOME = text(
    "DELETE FROM risk_feature_rows WHERE period = :period AND employee_id IN :ids"
).bindparams(bindparam("ids", expanding=True))


def _delete_rows(
    connection: Connection, period: str, first: int, last: int, ids: Sequence[int] | None
) -> dict[int, bool]:
    """Delete the period's scores of employees `ids` (None: of the whole range
    `first..last`); employee id -> whether its row was outdated, of each row deleted."""
    if ids is None:
        found = connection.execute(_DELETE_RANGE, {"period": period, "first": first, "last": last})
        return {int(employee): bool(outdated) for employee, outdated in found}
    deleted: dict[int, bool] = {}
    for part in batches(list(ids)):
        found = connection.execute(_DELETE_SOME, {"period": period, "ids": part})
        deleted.update((int(employee), bool(was)) for employee, was in found)
    return deleted


def _delete_feature_rows(connection: Connection, period: str, ids: list[int]) -> None:
    for part in batches(ids):
        connection.execute(_DELETE_FEATURES_SOME, {"period": period, "ids": part})


def copy_rows(
    connection: Connection,
    span: tuple[str, int, int],
    answers: Answers,
    only: Sequence[int] | None,
) -> int:
    """PostgreSQL: delete the stored scores (`RETURNING outdated`) and copy `answers` in
    (one COPY); the feature rows of the employees read again (and of the rows deleted for
    good) are deleted and copied in too. The others keep theirs."""
    period, first, last = span
    whole = {"period": period, "first": first, "last": last}
    deleted = _delete_rows(connection, period, first, last, only)
    fresh = {e for e, was in zip(answers.employee_ids, answers.fresh, strict=True) if was}
    changed = {e for e, outdated in deleted.items() if outdated} & fresh
    read = {employee for employee, _, _ in answers.features}
    kept = set(answers.employee_ids) - read
    if only is None and not kept:
        connection.execute(_DELETE_FEATURES_RANGE, whole)
    else:
        cleared = (deleted.keys() | read) - kept
        _delete_feature_rows(connection, period, sorted(cleared))
    shared = (repeat(answers.shared[name]) for name in SHARED)
    outdated = [e in changed for e in answers.employee_ids] if changed else repeat(False)
    rows = zip(*answers.columns(), *shared, outdated, strict=False)  # repeat() never ends
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor:
        _copy(cursor, f"risk_scores ({', '.join(_ANSWER_COLUMNS)})", rows)
        _copy(cursor, "risk_feature_rows (employee_id, period, features)", answers.features)
    return len(changed)


def _copy(cursor: Any, target: str, rows: Iterable[tuple[Any, ...]]) -> None:
    with cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


#: PostgreSQL: the answers' `VARYING` columns as arrays (one each, bound once per write in
#: binary) and whether each row was fresh when read; the shared values are bound once.
_ANSWERS_FROM = """unnest(%(employee_id)b::int[], %(status)b::text[], %(probability)b::float8[],
    %(flagged)b::bool[], %(threshold)b::float8[], %(drivers)b::text[], %(fresh)b::bool[])
  AS v(employee_id, status, probability, flagged, threshold, drivers, fresh)"""
#: ... written over the stored rows (found by the range's index: whatever the plan, it visits
#: the range only), a fresh row outdated by now kept outdated (as `_upsert`); how many rows
#: it wrote, and how many of them are outdated.
_UPDATE_ARRAYS = f"""WITH written AS (
  UPDATE risk_scores AS s SET status = v.status, probability = v.probability,
    flagged = v.flagged, threshold = v.threshold, drivers = CAST(v.drivers AS JSON),
    model_name = %(model_name)b, model_version = %(model_version)s, fallback = %(fallback)b,
    feature_set = %(feature_set)s, scored_at = %(scored_at)b,
    outdated = s.outdated AND v.fresh
  FROM {_ANSWERS_FROM}
  WHERE s.employee_id = v.employee_id AND s.period = %(period)b
    AND s.employee_id BETWEEN %(first)b AND %(last)b
  RETURNING s.outdated
)
SELECT count(*), count(*) FILTER (WHERE outdated) FROM written"""
#: ... and upserted where none was found: `{keep}` is the `outdated` of a row written since
#: (`_upsert`'s `risk_scores.outdated AND ?`: `risk_scores.outdated` for rows that were
#: fresh when read, `false` for the others).
_UPSERT_ARRAYS = f"""INSERT INTO risk_scores ({", ".join(_ANSWER_COLUMNS)})
  SELECT v.employee_id, v.status, v.probability, v.flagged, v.threshold,
    CAST(v.drivers AS JSON), %(period)b, %(model_name)b, %(model_version)s, %(fallback)b,
    %(feature_set)s, %(scored_at)b, false
  FROM {_ANSWERS_FROM}
  ON CONFLICT (employee_id, period) DO UPDATE SET
    {", ".join(f"{name} = excluded.{name}" for name in (*VARYING[1:], *SHARED[1:]))},
    outdated = {{keep}}"""


class ArrayWrite:
    """PostgreSQL's statements of one write (`update_arrays`), binding the answers as arrays."""

    def __init__(self, cursor: Any, answers: Answers, span: tuple[str, int, int]) -> None:
        self.cursor = cursor
        self.columns = dict(zip(VARYING, answers.columns(), strict=True))
        self.columns["fresh"] = answers.fresh
        period, first, last = span
        self.common = {**answers.shared, "period": period, "first": first, "last": last}

    def update(self) -> tuple[int, int]:
        """Write every answer over its employee's stored row: (rows written, of which
        outdated: fresh when read and outdated by now)."""
        found = self.cursor.execute(_UPDATE_ARRAYS, self.common | self.columns).fetchone()
        return int(found[0]), int(found[1])

    def upsert(self, rows: list[int]) -> int:
        """Upsert the answers at positions `rows`, as `_upsert` would; the rows written."""
        written = 0
        for fresh, keep in ((True, "risk_scores.outdated"), (False, "false")):
            some = [k for k in rows if self.columns["fresh"][k] == fresh]
            if some:
                arrays = {name: [values[k] for k in some] for name, values in self.columns.items()}
                statement = _UPSERT_ARRAYS.format(keep=keep)
                written += self.cursor.execute(statement, self.common | arrays).rowcount
        return written


def update_arrays(
    connection: Connection,
    span: tuple[str, int, int],
    answers: Answers,
    only: Sequence[int] | None,
) -> int:
    """PostgreSQL: write `answers` over the stored rows in place, as `update_rows` does on
    SQLite; the number written outdated.

    One UPDATE binding every row's values as arrays (`_UPDATE_ARRAYS`, by the employee: a
    row rewritten since the read is found too) writes the stored rows. It touches no
    indexed column, so with the table's free space (fillfactor, migration 0026) a row's new
    version stays in its page and no index changes (a HOT update), and it fires no per-row
    foreign-key check, as the insert of `copy_rows` does. The employees without a row when
    the range was read are upserted; the feature rows read again are deleted and copied in;
    the other stored rows of `only` (deleted employees) are deleted. When the writes missed
    a row (deleted since the read) or the range holds rows they did not write, `_settle`
    finishes as on SQLite. A new period (no row stored) is `copy_rows`.
    """
    if not any(answers.row_ids):
        return copy_rows(connection, span, answers, only)
    period, first, last = span
    with connection.connection.driver_connection.cursor() as cursor:
        arrays = ArrayWrite(cursor, answers, span)
        written, stale = arrays.update()
        written += arrays.upsert([k for k, row_id in enumerate(answers.row_ids) if not row_id])
        _copy_features(connection, cursor, period, answers)
        complete = written == len(answers.employee_ids)
        if only is None:
            whole = {"period": period, "first": first, "last": last}
            complete &= fetch_all(connection, _COUNT_RANGE, whole)[0][0] == written
        else:
            _delete_gone(connection, period, sorted(set(only) - set(answers.employee_ids)))
        if complete:
            return stale

        def upsert(written: set[int]) -> None:
            ids = answers.employee_ids
            arrays.upsert([k for k in range(len(ids)) if ids[k] not in written])

        return _settle(connection, span, answers, only, upsert)


def _copy_features(connection: Connection, cursor: Any, period: str, answers: Answers) -> None:
    """Replace the feature rows of the employees whose history was read."""
    _delete_feature_rows(connection, period, sorted(e for e, _, _ in answers.features))
    _copy(cursor, "risk_feature_rows (employee_id, period, features)", answers.features)


def _literal(value: str | bool | None) -> str:
    """`value` as an SQLite literal: text quoted as SQL quotes it, booleans as SQLite
    stores them (1, 0), NULL. Never a float: its text need not read back to the same bits."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    return "'" + value.replace("'", "''") + "'"


def _upsert(shared: dict[str, Any]) -> str:
    """The answers' upsert with the shared values written into it: each row binds its
    `VARYING` values and whether it was fresh (7 values, not 14 plus its feature row)."""
    names = ", ".join((*VARYING, *SHARED))
    values = ", ".join(["?"] * len(VARYING) + [_literal(shared[name]) for name in SHARED])
    sets = ", ".join(f"{name} = excluded.{name}" for name in (*VARYING[1:], *SHARED[1:]))
    return (
        f"INSERT INTO risk_scores ({names}, outdated) VALUES ({values}, 0) ON CONFLICT "
        f"(employee_id, period) DO UPDATE SET {sets}, outdated = risk_scores.outdated AND ?"
    )


def _update(shared: dict[str, Any]) -> str:
    """The update of a stored row with its answer, binding what `_upsert` binds (?1 the
    employee, ?7 whether fresh) and the row's id (?8: one lookup, not the unique index's and
    then the row's; 0.5 us a row). It skips a fresh row that is outdated by now (and a row
    deleted since), so that a complete update shows in the count of rows changed."""
    sets = [f"{name} = ?{k}" for k, name in enumerate(VARYING[1:], start=2)]
    sets += [f"{name} = {_literal(shared[name])}" for name in SHARED[1:]]
    return (
        f"UPDATE risk_scores SET {', '.join(sets)}, outdated = 0 WHERE id = ?8 "
        f"AND employee_id = ?1 AND period = {_literal(shared['period'])} "
        "AND (NOT outdated OR NOT ?7)"
    )


#: The rows of a range (or of listed employees): whether outdated, whether this write wrote
#: them (their `scored_at` is this write's: each write's time, to the microsecond, is its own).
_PRESENT_RANGE = text(
    "SELECT employee_id, outdated, scored_at = :now FROM risk_scores "
    "WHERE period || '' = :period AND employee_id BETWEEN :first AND :last"
)
_PRESENT_SOME = text(
    "SELECT employee_id, outdated, scored_at = :now FROM risk_scores "
    "WHERE period = :period AND employee_id IN :ids"
).bindparams(bindparam("ids", expanding=True))
#: How many rows a range holds (the unique index covers it: no row is read).
_COUNT_RANGE = text(
    "SELECT count(*) FROM risk_scores WHERE period || '' = :period "
    "AND employee_id BETWEEN :first AND :last"
)


def update_rows(
    connection: Connection,
    span: tuple[str, int, int],
    answers: Answers,
    only: Sequence[int] | None,
) -> int:
    """SQLite: write `answers` over the stored rows of the period `span[0]` and employees
    `span[1]..span[2]` (or `only`); the number written outdated.

    The rows stored when the range was read are updated in place (`_update`), the others
    upserted (one may have been written since), each by one executemany; the feature rows
    read again are upserted likewise. Then the other stored rows of `only` (deleted
    employees) are deleted. When the update changed fewer rows than it had, or the range
    holds rows it did not write, `_settle` finishes the write as a plain upsert would.
    """
    period, first, last = span
    cursor = connection.connection.driver_connection.cursor()
    rows = list(zip(*answers.columns(), answers.fresh, answers.row_ids, strict=True))
    stored = rows if all(answers.row_ids) else [row for row in rows if row[-1]]
    cursor.executemany(_update(answers.shared), stored)
    complete = cursor.rowcount == len(stored)
    if len(stored) < len(rows):
        new = [row[:-1] for row in rows if not row[-1]]
        cursor.executemany(_upsert(answers.shared), new)
    slices = answers.slices or [None] * len(answers.features)
    cursor.executemany(
        "INSERT INTO risk_feature_rows (employee_id, period, features, panel_slice) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (employee_id, period) "
        "DO UPDATE SET features = excluded.features, panel_slice = excluded.panel_slice",
        [(*row, kept) for row, kept in zip(answers.features, slices, strict=True)],
    )
    if only is None:
        whole = {"period": period, "first": first, "last": last}
        complete &= fetch_all(connection, _COUNT_RANGE, whole)[0][0] == len(rows)
    else:
        _delete_gone(connection, period, sorted(set(only) - set(answers.employee_ids)))
    if complete:
        return 0

    def upsert(written: set[int]) -> None:
        missed = [row[:-1] for row in stored if row[0] not in written]
        cursor.executemany(_upsert(answers.shared), missed)

    return _settle(connection, span, answers, only, upsert)


def _delete_gone(connection: Connection, period: str, gone: list[int]) -> None:
    """Delete the scores and feature rows of employees `gone` (no longer employees)."""
    for part in batches(gone):
        connection.execute(_DELETE_SOME, {"period": period, "ids": part})
        _delete_feature_rows(connection, period, part)


def _settle(
    connection: Connection,
    span: tuple[str, int, int],
    answers: Answers,
    only: Sequence[int] | None,
    upsert: Callable[[set[int]], None],
) -> int:
    """Finish a write whose update missed rows: `upsert` the answers of the employees whose
    row it did not write (given those it wrote), which keeps a fresh row that is outdated by
    now outdated and inserts one deleted since; delete the rows of the range (or of `only`)
    that are no answer's. The number written outdated."""
    period, first, last = span
    parameters = {"period": period, "now": answers.shared["scored_at"]}

    def present() -> list[Any]:
        if only is None:
            whole = parameters | {"first": first, "last": last}
            return fetch_all(connection, _PRESENT_RANGE, whole)
        return fetch_listed(connection, _PRESENT_SOME, parameters, list(only))

    upsert({employee for employee, _, wrote in present() if wrote})
    found = present()
    _delete_gone(connection, period, [int(e) for e, _, wrote in found if not wrote])
    return sum(1 for _, outdated, wrote in found if outdated and wrote)
