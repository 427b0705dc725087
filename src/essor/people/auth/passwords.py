"""Password hashing with Argon2id (argon2-cffi's RFC 9106 low-memory profile).

Hashes carry their own parameters, so raising them later only needs ``needs_rehash`` at the
next successful sign-in.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
# Argon2 reads the whole input; a cap keeps a megabyte "password" from costing a megabyte of
# hashing per attempt.
MAX_LENGTH = 1024

_HASHER = PasswordHasher(type=Type.ID)


class WeakPassword(ValueError):
    pass


def check_strength(password: str) -> None:
    """Refuse passwords that are too short (length is what protects a password most)."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"a password has at most {MAX_LENGTH} characters")
    if not password.strip():
        raise WeakPassword("a password cannot be only spaces")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _HASHER.hash("essor: no account has this password")


def burn_verification(password: str) -> None:
    """Spend the time of a real verification, so that an unknown email answers as slowly as a
    known one and timing does not tell which emails have accounts."""
    verify_password(_dummy_hash(), password)
