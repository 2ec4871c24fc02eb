"""Bearer tokens: opaque random strings whose SHA-256 is stored, expiring and revocable.

A token is 32 random bytes (URL-safe base64); the database keeps only its hash, so a copy of
the database does not hold usable tokens. Failed logins are counted in `login_attempts`, per
account (since its last success) and per client address, within a sliding window, so the limit
holds across every worker process; a locked-out caller gets 429 before any password check.

Each worker may keep the tokens it validated in a `TokenCache` for a few seconds
(`API_TOKEN_CACHE_SECONDS`, default 2; 0 turns it off), which saves the token query on almost
every request under load. The trade-off: a token revoked through another worker, or whose
user was deactivated, still works in this worker for at most that many seconds; the worker
that revokes a token forgets it at once, and a cached token never outlives its expiry.
Routes that read the change counter first (`allow(..., fresh=True)`, migration 0011) trust a
cached token only when it was checked at the counter's current generation: revoking a token
or changing its user moves the counter, so there the refusal is immediate in every worker.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from functools import lru_cache
from typing import ClassVar

from sqlalchemy.orm import Session

from service.auth.passwords import hash_password
from service.auth.passwords import verify_password
from service.db.models import ApiToken
from service.db.models import LoginAttempt
from service.db.repositories import access as repo
from service.db.repositories.access import TokenOwner
from service.domain.audit import Actor
from service.domain.errors import DomainError

TOKEN_BYTES = 32
CACHE_MAX_ENTRIES = 10_000


class Unauthorized(DomainError):
    """No credentials, or credentials that are wrong, expired or revoked (401)."""

    status = 401
    title = "Unauthorized"


class TooManyRequests(DomainError):
    """Too many failed logins for this account or address; retry after `retry_after` s."""

    status: ClassVar[int] = 429
    title: ClassVar[str] = "Too Many Requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


@dataclass(frozen=True)
class LoginLimits:
    """Failed logins allowed within `window_seconds`, per account and per client address."""

    window_seconds: int = 900
    per_account: int = 5
    per_address: int = 50


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    token_type: str = "Bearer"


class TokenCache:
    """Live tokens this worker has checked, trusted for `seconds` and never past expiry."""

    def __init__(self, seconds: float, max_entries: int = CACHE_MAX_ENTRIES) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, TokenOwner, int | None]] = {}

    def get(self, token_hash: str, generation: int | None = None) -> TokenOwner | None:
        """Return the cached owner of a token, or None when unknown or stale.

        With `generation` (the change counter, just read), also None when the token was
        checked at another generation.
        """
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        if entry[0] <= time.monotonic() or (generation is not None and entry[2] != generation):
            self._entries.pop(token_hash, None)
            return None
        return entry[1]

    def put(
        self, token_hash: str, owner: TokenOwner, now: datetime, generation: int | None = None
    ) -> None:
        """Remember a token just found live in the database (at `generation`, if read)."""
        if self.seconds <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # a burst of distinct tokens: start over, never grow
        expires = owner.expires_at
        if expires.tzinfo is None:  # SQLite hands back naive UTC
            expires = expires.replace(tzinfo=UTC)
        left = min(self.seconds, (expires - now).total_seconds())
        self._entries[token_hash] = (time.monotonic() + left, owner, generation)

    def forget(self, token_hash: str) -> None:
        self._entries.pop(token_hash, None)


def hash_token(token: str) -> str:
    """Return the stored form of a token (hex SHA-256)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue_token(
    session: Session,
    username: str,
    password: str,
    address: str,
    *,
    ttl_seconds: int,
    limits: LoginLimits,
) -> IssuedToken:
    """Check the password and store a new token; commits the attempt either way.

    Raises TooManyRequests when the account or the address is locked out, Unauthorized when
    the username or password is wrong (the same answer for both, so names cannot be probed).
    """
    now = datetime.now(UTC)
    _check_limits(session, username, address, now, limits)
    user = repo.user_by_username(session, username)
    valid = _password_matches(user.password_hash if user else None, password)
    ok = user is not None and user.is_active and valid
    session.add(LoginAttempt(username=username[:80], address=address[:64], at=now, succeeded=ok))
    if not ok or user is None:
        session.commit()
        raise Unauthorized("wrong username or password")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires = now + timedelta(seconds=ttl_seconds)
    session.add(
        ApiToken(user_id=user.id, token_hash=hash_token(token), created_at=now, expires_at=expires)
    )
    session.commit()
    return IssuedToken(access_token=token, expires_in=ttl_seconds)


def authenticate(
    session: Session,
    token: str,
    request_id: str | None = None,
    cache: TokenCache | None = None,
    generation: int | None = None,
) -> Actor:
    """Return the caller of a live token; Unauthorized when unknown, expired or revoked.

    `generation`: the change counter as this request read it; a cached token checked at
    another generation is checked again.
    """
    token_hash = hash_token(token)
    owner = cache.get(token_hash, generation) if cache is not None else None
    if owner is None:
        now = datetime.now(UTC)
        owner = repo.token_owner(session, token_hash, now)
        if owner is None:
            raise Unauthorized("the bearer token is unknown, expired or revoked")
        if cache is not None:
            cache.put(token_hash, owner, now, generation)
    return Actor(
        user_id=owner.user_id,
        username=owner.username,
        role=owner.role,
        employee_id=owner.employee_id,
        unit_id=owner.unit_id if owner.unit_id is not None else owner.employee_unit_id,
        request_id=request_id,
    )


def revoke(session: Session, token: str, cache: TokenCache | None = None) -> bool:
    """Revoke a token (logout) and drop it from `cache`; the caller commits.

    Returns whether it was live.
    """
    token_hash = hash_token(token)
    if cache is not None:
        cache.forget(token_hash)
    return repo.revoke_token(session, token_hash, datetime.now(UTC)) > 0


def _check_limits(
    session: Session, username: str, address: str, now: datetime, limits: LoginLimits
) -> None:
    since = now - timedelta(seconds=limits.window_seconds)
    if repo.failures_since(session, since=since, username=username) >= limits.per_account:
        raise TooManyRequests(
            "too many failed logins for this account; wait and try again",
            limits.window_seconds,
        )
    if repo.failures_since(session, since=since, address=address) >= limits.per_address:
        raise TooManyRequests(
            "too many failed logins from this address; wait and try again",
            limits.window_seconds,
        )


def _password_matches(password_hash: str | None, password: str) -> bool:
    """Verify, spending the same argon2 time for an unknown user as for a known one."""
    return verify_password(password_hash or _dummy_hash(), password) and bool(password_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))
