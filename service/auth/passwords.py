"""Password hashing with argon2id and the password rules every account must meet."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError
from argon2.profiles import CHEAPEST

from service.domain.errors import Invalid

MIN_LENGTH = 10
MAX_LENGTH = 256
# The most common passwords in public breach corpora, plus local favourites.
COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "password123",
        "123456789",
        "1234567890",
        "12345678910",
        "qwertyuiop",
        "iloveyou123",
        "admin12345",
        "administrator",
        "passw0rd123",
        "welcome123",
        "letmein123",
        "qwerty12345",
        "abc1234567",
        "1q2w3e4r5t",
        "indonesia1",
        "indonesia123",
        "bismillah1",
        "bismillah123",
        "rahasia123",
        "kinerja123",
        "pegawai123",
        "asn1234567",
    }
)

_STRONG = PasswordHasher()  # argon2id with the library's current recommended parameters
# argon2id at the lowest cost: only for test runs (PASSWORD_HASH_FAST), never in production.
_FAST = PasswordHasher.from_parameters(CHEAPEST)
_hasher = _STRONG


def use_fast_hashing(enabled: bool) -> None:
    """Hash new passwords at the cheapest argon2id cost (tests only); verify is unaffected.

    Each hash carries its own parameters, so hashes made either way verify either way.
    """
    global _hasher
    _hasher = _FAST if enabled else _STRONG


def check_password_rules(password: str, username: str | None = None) -> None:
    """Refuse passwords that are short, very common or the username itself."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise Invalid.field("password", f"must be at least {MIN_LENGTH} characters long")
    if len(password) > MAX_LENGTH:
        raise Invalid.field("password", f"must be at most {MAX_LENGTH} characters long")
    if password.lower() in COMMON_PASSWORDS:
        raise Invalid.field("password", "is one of the most common passwords; choose another")
    if username and password.lower() == username.lower():
        raise Invalid.field("password", "must not be the username")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Check a password in constant time; a malformed hash counts as a mismatch."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
