"""Use cases for logins: create one for a person (or a technical account) with a role; list
and read them (admin). A `User` never leaves the domain with its password hash: the API
serializes only the fields of `UserOut`."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth.passwords import check_password_rules
from service.auth.passwords import hash_password
from service.db.models import Employee
from service.db.models import Unit
from service.db.models import User
from service.db.repositories import Page
from service.db.repositories import access as repo
from service.domain.entities import Role
from service.domain.errors import Conflict
from service.domain.errors import Invalid
from service.domain.errors import NotFound

USERNAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{3,80}")  # fullmatch: `$` allows a final "\n"


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise Invalid.field("role", f"{value!r} is not one of {allowed}") from None


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    employee_id: int | None = None,
    unit_id: int | None = None,
) -> User:
    """Validate and add a user; the caller commits. Nothing is written when a rule fails."""
    if not isinstance(username, str) or not USERNAME_PATTERN.fullmatch(username):
        raise Invalid.field("username", "use 3-80 letters, digits, '.', '_' or '-'")
    check_password_rules(password, username)
    parsed_role = parse_role(role)
    if employee_id is not None and session.get(Employee, employee_id) is None:
        raise Invalid.field("employee_id", f"no employee with id {employee_id}")
    if unit_id is not None and session.get(Unit, unit_id) is None:
        raise Invalid.field("unit_id", f"no unit with id {unit_id}")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"username {username!r} is already taken")
    if employee_id is not None:
        taken = session.scalar(select(User.id).where(User.employee_id == employee_id))
        if taken is not None:
            raise Conflict(f"employee {employee_id} already has a login")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=parsed_role,
        employee_id=employee_id,
        unit_id=unit_id,
    )
    session.add(user)
    session.flush()
    return user


def list_users(session: Session, limit: int, offset: int, role: Role | None = None) -> Page[User]:
    """List logins (admin), optionally of one role."""
    return repo.list_users(session, limit, offset, role)


def read_user(session: Session, user_id: int) -> User:
    """Return a login, or 404."""
    user = repo.get_user(session, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user
