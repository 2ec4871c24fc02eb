"""Whether this code can run on a schema that a newer Kinerja migrated (a rolling upgrade).

During a rolling upgrade one instance of the new release runs `kinerja init-db`, and the
instances still on the old code then find the database at a revision they do not know. They
cannot read the new release's migration scripts, so they check what they rely on instead:
every table and column their models map is still there, and no column added to one of
those tables would refuse their inserts (NOT NULL with neither a default nor an identity).
A newer schema that passes is compatible (added tables, nullable or defaulted columns,
indexes, triggers); one that renamed, dropped or required something is not, and `/readyz`
takes the instance out of the load balancer until it runs the new code.

The check compares names and nullability only, not types or constraints: a release whose
migration changes what a column means must say so in its notes and be deployed with a stop.
It is one query on the catalogue, made once per process for each revision it meets.
"""

from __future__ import annotations

import threading

from sqlalchemy import Engine
from sqlalchemy import text

from service.db.models import Base  # the models module maps every table on Base

#: Each table's columns: (name, nullable or defaulted). PostgreSQL: the current schema.
_PG_COLUMNS = text(
    "SELECT table_name, column_name, is_nullable = 'YES' OR column_default IS NOT NULL "
    "OR is_identity = 'YES' OR is_generated <> 'NEVER' "
    "FROM information_schema.columns WHERE table_schema = current_schema()"
)
_SQLITE_COLUMNS = text(
    'SELECT m.name, p.name, p."notnull" = 0 OR p.dflt_value IS NOT NULL OR p.pk > 0 '
    "FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p WHERE m.type = 'table'"
)
_lock = threading.Lock()
_checked: dict[tuple[str, str], tuple[str, ...]] = {}


def incompatibilities(engine: Engine, revision: str) -> tuple[str, ...]:
    """What in the database at `revision` this code's models cannot use (empty: none),
    checked once per process for each engine and revision."""
    key = (engine.url.render_as_string(hide_password=True), revision)
    with _lock:
        found = _checked.get(key)
    if found is None:
        found = _compare(engine)
        with _lock:
            _checked[key] = found
    return found


def _compare(engine: Engine) -> tuple[str, ...]:
    query = _SQLITE_COLUMNS if engine.dialect.name == "sqlite" else _PG_COLUMNS
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    columns: dict[str, dict[str, bool]] = {}
    for table, column, optional in rows:
        columns.setdefault(table, {})[column] = bool(optional)
    problems = []
    for table in Base.metadata.sorted_tables:
        present = columns.get(table.name)
        if present is None:
            problems.append(f"table {table.name} is missing")
            continue
        mapped = {column.name for column in table.columns}
        problems += [
            f"column {table.name}.{name} is missing" for name in sorted(mapped - present.keys())
        ]
        problems += [
            f"column {table.name}.{name} is required and this code does not fill it"
            for name, optional in sorted(present.items())
            if name not in mapped and not optional
        ]
    return tuple(problems)
