"""Bearer tokens from an external OpenID Connect identity provider: signature, issuer, audience, expiry, claims."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import jwt

from beffroi.api.auth.errors import AuthenticationFailed
from beffroi.api.auth.jwks import JwksSource, parse_jwks, read_jwks_file
from beffroi.api.auth.principal import Principal
from beffroi.api.auth.roles import Role
from beffroi.api.auth.settings import OidcSettings


def claim_at(claims: Mapping[str, Any], path: str) -> Any:
    """The claim at a dotted path (`realm_access.roles`), or None."""
    node: Any = claims
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def highest_role(value: Any) -> Role | None:
    """The role a claim grants: a role name, or the highest known role of a list of names; None when none."""
    names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    roles = [Role(name) for name in names if isinstance(name, str) and name in Role.__members__.values()]
    return max(roles, key=lambda role: role.rank) if roles else None


def jwks_source(settings: OidcSettings, http: httpx.AsyncClient | None = None) -> JwksSource:
    """The key source the settings name (a file or inline JWKS is read now, so a bad one fails at start-up)."""
    if settings.jwks is not None:
        return JwksSource(keys=parse_jwks(settings.jwks, "auth.oidc.jwks"))
    if settings.jwks_file is not None:
        return JwksSource(keys=read_jwks_file(settings.jwks_file))
    return JwksSource(url=settings.jwks_url, cache_s=settings.jwks_cache_s, http=http)


class OidcVerifier:
    """Turns an identity provider's token into a Principal, or refuses it with AuthenticationFailed."""

    def __init__(self, settings: OidcSettings, keys: JwksSource) -> None:
        self._settings = settings
        self._keys = keys

    @property
    def issuer(self) -> str:
        """The identity provider's issuer."""
        return self._settings.issuer

    async def verify(self, token: str, header: Mapping[str, Any]) -> Principal:
        """The caller the token names, once its signature, issuer, audience and times are checked."""
        settings = self._settings
        if header.get("alg") not in settings.algorithms:
            raise AuthenticationFailed("invalid_token", f"tokens signed with {header.get('alg')!r} are not accepted")
        kid = header.get("kid")
        key = await self._keys.key_for(kid if isinstance(kid, str) else None)
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=list(settings.algorithms),
                audience=settings.audience,
                issuer=settings.issuer,
                leeway=settings.leeway_s,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationFailed("token_expired", "the identity provider's token has expired") from None
        except jwt.PyJWTError as error:
            raise AuthenticationFailed(
                "invalid_token", f"the identity provider's token is not valid: {error}"
            ) from None
        except (TypeError, ValueError):  # the named key is of another type than the token's algorithm
            alg = header.get("alg")
            raise AuthenticationFailed("invalid_token", f"key {kid!r} cannot check a {alg} signature") from None
        return self._principal(claims)

    def _principal(self, claims: Mapping[str, Any]) -> Principal:
        settings = self._settings
        tenant = claim_at(claims, settings.tenant_claim)
        if tenant is None:
            tenant = settings.default_tenant
        if not isinstance(tenant, str) or not tenant:
            raise AuthenticationFailed("no_tenant", f"the token has no tenant in its claim {settings.tenant_claim!r}")
        role = highest_role(claim_at(claims, settings.role_claim)) or settings.default_role
        if role is None:
            raise AuthenticationFailed(
                "no_role", f"the token grants no known role in its claim {settings.role_claim!r}"
            )
        username = claim_at(claims, settings.username_claim)
        subject = username if isinstance(username, str) and username else str(claims["sub"])
        return Principal(subject=subject, tenant_id=tenant, role=role, issuer=settings.issuer)
