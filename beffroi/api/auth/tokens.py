"""Tokens of local accounts: JWTs signed with HS256 and the API's secret, carrying sub, tenant, role and exp."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import jwt

from beffroi.api.auth.errors import AuthenticationFailed
from beffroi.api.auth.roles import Role

LOCAL_ISSUER = "beffroi"
ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("sub", "tenant", "role", "exp", "iat", "iss")


@dataclass(frozen=True)
class IssuedToken:
    """A signed token and the epoch time it expires."""

    token: str
    expires_at: float


@dataclass(frozen=True)
class LocalClaims:
    """What a verified local token says."""

    subject: str
    tenant_id: str
    role: Role


class LocalTokens:
    """Issues and verifies the tokens of local accounts."""

    def __init__(self, secret: str, ttl_s: int, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self._ttl_s = ttl_s
        self._clock = clock

    def issue(self, subject: str, tenant_id: str, role: Role) -> IssuedToken:
        """A token for the user, valid for the configured time from now."""
        now = int(self._clock())
        expires_at = now + self._ttl_s
        claims = {"sub": subject, "tenant": tenant_id, "role": role.value, "iat": now, "exp": expires_at}
        token = jwt.encode({**claims, "iss": LOCAL_ISSUER}, self._secret, algorithm=ALGORITHM)
        return IssuedToken(token, float(expires_at))

    def verify(self, token: str) -> LocalClaims:
        """The claims of a token this API signed and that has not expired; AuthenticationFailed otherwise."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=LOCAL_ISSUER,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationFailed("token_expired", "the token has expired: log in again") from None
        except jwt.PyJWTError as error:
            raise AuthenticationFailed("invalid_token", f"the token is not valid: {error}") from None
        subject, tenant, role = claims["sub"], claims["tenant"], claims["role"]
        if not all(isinstance(value, str) and value for value in (subject, tenant, role)):
            raise AuthenticationFailed("invalid_token", "the token's sub, tenant and role must be non-empty strings")
        if role not in Role.__members__.values():
            raise AuthenticationFailed("invalid_token", f"the token's role {role!r} is not a known role")
        return LocalClaims(subject, tenant, Role(role))
