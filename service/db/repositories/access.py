"""Users, bearer tokens, login attempts, idempotency records and the audit log."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy import DateTime
from sqlalchemy import Dialect
from sqlalchemy import Engine
from sqlalchemy import Select
from sqlalchemy import String
from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import literal_column
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from service.db.models import ApiToken
from service.db.models import AuditEntry
from service.db.models import ChangeCounter
from service.db.models import Employee
from service.db.models import IdempotencyRecord
from service.db.models import LoginAttempt
from service.db.models import User
from service.db.repositories import Page
from service.db.repositories import paginate
from service.db.thread_connections import Kept
from service.db.thread_connections import discard_kept_connection
from service.db.thread_connections import kept_connection
from service.domain.entities import Role


def user_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def list_users(session: Session, limit: int, offset: int, role: Role | None = None) -> Page[User]:
    """List logins by id, optionally of one role."""
    query = select(User).order_by(User.id)
    if role is not None:
        query = query.where(User.role == role)
    return paginate(session, query, limit, offset)


def usernames(session: Session, user_ids: Collection[int | None]) -> dict[int, str]:
    """User id -> username, for answers naming who did something (closed or reopened a
    calibration, replaced an evaluation's version); None and unknown ids are left out."""
    wanted = [user_id for user_id in set(user_ids) if user_id is not None]
    if not wanted:
        return {}
    query = select(User.id, User.username).where(User.id.in_(wanted))
    return {user_id: name for user_id, name in session.execute(query)}


@dataclass(frozen=True)
class TokenOwner:
    """The active user behind a live token, and the unit of its linked employee."""

    user_id: int
    username: str
    role: Role
    employee_id: int | None
    unit_id: int | None
    employee_unit_id: int | None
    expires_at: datetime


def token_owner(session: Session, token_hash: str, now: datetime) -> TokenOwner | None:
    """Return the owner of a live token (one indexed query, plain columns: every request)."""
    params = {"token_hash": token_hash, "now": now}
    row = session.execute(_token_query(), params).first()
    return None if row is None else TokenOwner(*row)


@lru_cache(maxsize=1)
def _token_query() -> Select[Any]:
    """Build the token lookup once: constructing a statement costs more than running it."""
    return (
        select(
            User.id,
            User.username,
            User.role,
            User.employee_id,
            User.unit_id,
            Employee.unit_id,
            ApiToken.expires_at,
        )
        .join(ApiToken, ApiToken.user_id == User.id)
        .outerjoin(Employee, Employee.id == User.employee_id)
        .where(
            ApiToken.token_hash == bindparam("token_hash", type_=String()),
            ApiToken.expires_at > bindparam("now", type_=DateTime(timezone=True)),
            ApiToken.revoked_at.is_(None),
            User.is_active.is_(True),
        )
    )


_GENERATION = f"SELECT generation FROM {ChangeCounter.__tablename__} WHERE id = 1"


def change_generation(engine: Engine) -> int:
    """Return the change counter (migration 0011): it moves on every committed change to the
    tables access decisions and stored risk answers read (one primary-key read).

    Not on the request's session: a request whose answers all come from a worker's memo then
    never opens a session transaction, which cost about three times the read itself
    (checkout, begin, result set-up, commit). On SQLite on this thread's own connection
    (`service.db.thread_connections`), elsewhere on a pooled DBAPI connection.
    """
    row = _on_own_connection(engine, _GENERATION, None, _fetch_one)
    if row is None:
        raise LookupError("change_counters has no row 1: run `kinerja init-db` (migration 0011)")
    return int(row[0])


_AUDIT = AuditEntry.__table__
_AUDIT_COLUMNS = ("at", "actor_user_id", "actor_username", "action", "resource", "resource_id",
                  "employee_id", "request_id")  # fmt: skip


@lru_cache(maxsize=4)
def _audit_insert(dialect: Dialect) -> tuple[str, Callable[[dict[str, Any]], Any]]:
    """The audit INSERT as `dialect` runs it, and what makes a row its parameters: each
    column's bind processor (SQLite stores datetimes as SQLAlchemy formats them), in the
    statement's order for positional styles, by name otherwise. Made once per dialect, so
    a row costs one pass over its columns (a dict and a tuple cost half the INSERT's Python).
    """
    compiled = _AUDIT.insert().compile(dialect=dialect, column_keys=list(_AUDIT_COLUMNS))
    return _with_binder(compiled, dialect)


@lru_cache(maxsize=4)
def _audit_insert_at(dialect: Dialect) -> tuple[str, Callable[[dict[str, Any]], Any]]:
    """`_audit_insert`'s row, inserted only while the change counter reads the row's
    `generation`: `INSERT ... SELECT <the values> WHERE (<the counter>) = <generation>`."""
    counter = ChangeCounter.__table__
    current = select(counter.c.generation).where(counter.c.id == literal_column("1"))
    values = select(*(bindparam(name, type_=_AUDIT.c[name].type) for name in _AUDIT_COLUMNS))
    at = values.where(current.scalar_subquery() == bindparam("generation", type_=BigInteger()))
    compiled = _AUDIT.insert().from_select(list(_AUDIT_COLUMNS), at).compile(dialect=dialect)
    return _with_binder(compiled, dialect)


def _with_binder(compiled: Any, dialect: Dialect) -> tuple[str, Callable[[dict[str, Any]], Any]]:
    """A compiled statement's SQL and what makes its parameters of a dict of values."""
    names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.binds)
    columns = tuple(
        (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
        for name in names
    )
    if compiled.positional:

        def bind(row: dict[str, Any]) -> Any:
            return tuple(
                [row[n] if convert is None else convert(row[n]) for n, convert in columns]
            )

    else:

        def bind(row: dict[str, Any]) -> Any:
            return {n: row[n] if convert is None else convert(row[n]) for n, convert in columns}

    return str(compiled), bind


def insert_audit_now(engine: Engine, row: dict[str, Any]) -> None:
    """Insert one audit row in a transaction of its own, committed when this returns.

    The same SQL and stored values as SQLAlchemy's INSERT, outside any session: a read that
    needs no session transaction (the risk read from a worker's memo) then never opens one,
    which cost more than the INSERT itself. On SQLite on this thread's own connection in
    autocommit mode, in the writer queue for the statement only (`write_alone`); elsewhere on
    a pooled DBAPI connection, committed before it goes back.
    """
    sql, bind = _audit_insert(engine.dialect)
    _on_own_connection(engine, sql, bind(row), _execute_committed)


def insert_audit_at(engine: Engine, row: dict[str, Any], generation: int) -> bool:
    """`insert_audit_now`, but only while the change counter reads `generation` (one
    statement: the write's own snapshot, the latest); whether the row was inserted.

    For a read decided on what a worker kept at `generation` (`service.api.fast_risk`): the
    row then also confirms that nothing those decisions rest on changed before it was
    written, which a read of the counter before them told in a statement of its own.
    """
    sql, bind = _audit_insert_at(engine.dialect)
    inserted: int = _on_own_connection(engine, sql, bind({**row, "generation": generation}),
                                       _execute_counted)  # fmt: skip
    return inserted > 0


def insert_audit(connection: Connection, row: dict[str, Any]) -> None:
    """Insert one audit row in `connection`'s transaction (committed with it).

    On SQLite, `insert_audit_now`'s statement on the driver's cursor of that connection
    (queued for the writer lock as any statement of it is): SQLAlchemy's execution of the
    same INSERT through a session cost about 40 us more, a fortieth of an evaluation POST.
    Elsewhere as SQLAlchemy executes it.
    """
    raw = connection.connection.driver_connection
    if connection.dialect.name != "sqlite" or raw is None:
        connection.execute(_AUDIT.insert(), row)
        return
    sql, bind = _audit_insert(connection.dialect)
    values = bind(row)
    cursor = raw.cursor()
    try:
        cursor.execute(sql, values)
    except sqlite3.Error as error:
        raise DBAPIError.instance(sql, values, error, sqlite3.Error) from error
    finally:
        cursor.close()


def _on_own_connection(
    engine: Engine, sql: str, params: Any, work: Callable[[Any, str, Any], Any]
) -> Any:
    """`work(connection, sql, params)` on this thread's own SQLite connection (closed after
    an error, so the next statement opens a new one), else on a pooled one."""
    kept = kept_connection(engine)
    if kept is None:
        return _on_raw_connection(engine, sql, params, work)
    try:
        return work(kept, sql, params)
    except sqlite3.Error as error:
        discard_kept_connection(engine)
        raise DBAPIError.instance(sql, params, error, sqlite3.Error) from error


def _on_raw_connection(
    engine: Engine, sql: str, params: Any, work: Callable[[Any, str, Any], Any]
) -> Any:
    """`work(connection, sql, params)` on a pooled DBAPI connection, returned to the pool
    (which rolls it back) afterwards; driver errors raised as SQLAlchemy raises them, so a
    lost database answers 503 as it does through a session."""
    dbapi_error = engine.dialect.loaded_dbapi.Error
    connection = engine.raw_connection()
    try:
        return work(connection, sql, params)
    except dbapi_error as error:
        raise DBAPIError.instance(sql, params, error, dbapi_error) from error
    finally:
        connection.close()


def _fetch_one(connection: Any, sql: str, params: Any) -> Any:
    if isinstance(connection, Kept):  # fetch them all: the statement, and its read, end
        rows = connection.cursor.execute(sql, params or ()).fetchall()
        return rows[0] if rows else None
    cursor = connection.cursor()
    if params is None:
        cursor.execute(sql)
    else:
        cursor.execute(sql, params)
    row = cursor.fetchone()
    cursor.close()
    return row


def _execute_committed(connection: Any, sql: str, params: Any) -> None:
    if isinstance(connection, Kept):
        connection.connection.write_alone(sql, params)  # type: ignore[attr-defined]
        return
    cursor = connection.cursor()
    cursor.execute(sql, params)
    cursor.close()
    connection.commit()


def _execute_counted(connection: Any, sql: str, params: Any) -> int:
    """`_execute_committed`, returning how many rows the statement wrote."""
    if isinstance(connection, Kept):
        before = connection.connection.total_changes  # this thread's connection alone
        connection.connection.write_alone(sql, params)  # type: ignore[attr-defined]
        return connection.connection.total_changes - before
    cursor = connection.cursor()
    cursor.execute(sql, params)
    written: int = cursor.rowcount
    cursor.close()
    connection.commit()
    return written


def revoke_token(session: Session, token_hash: str, now: datetime) -> int:
    """Mark a token revoked; return how many live tokens it matched (0 or 1)."""
    statement = (
        update(ApiToken)
        .where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return session.execute(statement).rowcount  # type: ignore[attr-defined]


def failures_since(
    session: Session, *, since: datetime, username: str | None = None, address: str | None = None
) -> int:
    """Count failed logins since `since` for one account or one address.

    For an account, only failures after its last success count, so a good login resets it.
    """
    query = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at >= since)
    if username is not None:
        last_ok = (
            select(func.max(LoginAttempt.at))
            .where(LoginAttempt.username == username, LoginAttempt.succeeded.is_(True))
            .scalar_subquery()
        )
        query = query.where(
            LoginAttempt.username == username,
            LoginAttempt.succeeded.is_(False),
            func.coalesce(LoginAttempt.at > last_ok, True),
        )
    if address is not None:
        query = query.where(LoginAttempt.address == address, LoginAttempt.succeeded.is_(False))
    return int(session.scalar(query) or 0)


def idempotency_record(session: Session, user_id: int, key: str) -> IdempotencyRecord | None:
    query = select(IdempotencyRecord).where(
        IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
    )
    return session.scalar(query)


def list_audit(
    session: Session,
    limit: int,
    offset: int,
    *,
    employee_id: int | None = None,
    actor_user_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[AuditEntry]:
    """List audit rows, newest first, filtered by employee, actor and time range.

    `since` and `until` are instants (without an offset: UTC). Rows store UTC, and SQLite
    compares the stored text, which ignores a bound's offset: bounds are compared in UTC.
    """
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if employee_id is not None:
        query = query.where(AuditEntry.employee_id == employee_id)
    if actor_user_id is not None:
        query = query.where(AuditEntry.actor_user_id == actor_user_id)
    if since is not None:
        query = query.where(AuditEntry.at >= _utc(since))
    if until is not None:
        query = query.where(AuditEntry.at < _utc(until))
    return paginate(session, query, limit, offset)


def _utc(moment: datetime) -> datetime:
    """`moment` in UTC (naive: taken as UTC); clamped to the calendar's ends where its UTC
    time falls outside them (0001-01-01 at +05:00)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        end = datetime.min if moment.year == datetime.min.year else datetime.max
        return end.replace(tzinfo=UTC)
