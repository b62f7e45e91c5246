"""Password hashing with argon2id (argon2-cffi's recommended parameters, RFC 9106)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 1024  # hashing a megabyte-long "password" is a denial of service, not a password

_hasher = PasswordHasher()
# Verified against when no account matches, so that an unknown email costs as much
# time as a wrong password and the response time does not tell which accounts exist.
_DUMMY_HASH = _hasher.hash("mcred: no such account")


class PasswordPolicyError(ValueError):
    """A password that the policy refuses; the message says why."""


def check_policy(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(f"a password needs at least {MIN_LENGTH} characters (got {len(password)})")
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError(f"a password may have at most {MAX_LENGTH} characters")
    if password.strip() != password:
        raise PasswordPolicyError("a password may not begin or end with white space")


def hash_password(password: str) -> str:
    check_policy(password)
    return _hasher.hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; with no stored hash, spends the same time and says False."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's (rehash on next sign-in)."""
    return _hasher.check_needs_rehash(stored_hash)
