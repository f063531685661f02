"""The settings of API authentication, as plain values (the composition root builds them from the config)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beffroi.api.auth.roles import Role
from beffroi.errors import ConfigError

MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class OidcSettings:
    """Where OIDC tokens come from and how to read a user's tenant and role from their claims.

    Exactly one key source: `jwks` (a JWKS document), `jwks_file` (a path to one) or `jwks_url` (fetched, cached).
    """

    issuer: str
    audience: str
    jwks: Mapping[str, Any] | None = None
    jwks_file: Path | None = None
    jwks_url: str | None = None
    jwks_cache_s: float = 3600.0
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    tenant_claim: str = "tenant"
    role_claim: str = "role"
    username_claim: str = "preferred_username"
    default_tenant: str | None = None
    default_role: Role | None = None
    leeway_s: float = 30.0

    def __post_init__(self) -> None:
        sources = [self.jwks is not None, self.jwks_file is not None, self.jwks_url is not None]
        if sum(sources) != 1:
            raise ConfigError("auth.oidc", ["set exactly one of `jwks`, `jwks_file` or `jwks_url`"])
        if any(algorithm.startswith("HS") for algorithm in self.algorithms):
            raise ConfigError("auth.oidc.algorithms", ["OIDC tokens must be signed with a public-key algorithm"])


@dataclass(frozen=True)
class AuthSettings:
    """`secret` signs local tokens (HS256) valid for `token_ttl_s`; `oidc`, when set, admits OIDC tokens too."""

    secret: str = field(repr=False)
    token_ttl_s: int = 8 * 3600
    oidc: OidcSettings | None = None

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_SECRET_LENGTH:
            raise ConfigError(
                "auth.secret",
                [
                    f"the API needs a token-signing secret of at least {MIN_SECRET_LENGTH} characters "
                    '(set BEFFROI_API_SECRET, or auth.secret = { file = "..." } in the config)'
                ],
            )
        if self.token_ttl_s < 1:
            raise ConfigError("auth.token_ttl_s", [f"must be positive, got {self.token_ttl_s}"])
