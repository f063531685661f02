"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106's second recommended profile)."""

from __future__ import annotations

import functools

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

DEFAULT_HASHER = argon2.PasswordHasher()


def hash_password(password: str, hasher: argon2.PasswordHasher = DEFAULT_HASHER) -> str:
    """The encoded argon2id hash of `password` (salted: two calls give two different hashes)."""
    return hasher.hash(password)


def verify_password(encoded_hash: str, password: str) -> bool:
    """True when `password` matches the hash; False for a wrong password or a hash that cannot be read."""
    try:
        return DEFAULT_HASHER.verify(encoded_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return hash_password("beffroi: no such user")


def burn_verification_time(password: str) -> None:
    """Spend the time of one verification, so an unknown user answers as slowly as a wrong password."""
    verify_password(_dummy_hash(), password)
