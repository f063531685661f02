"""Turns a bearer token into the Principal calling: a local account's token, or an OIDC provider's."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import jwt

from beffroi.api.auth.errors import AuthenticationFailed
from beffroi.api.auth.oidc import OidcVerifier
from beffroi.api.auth.principal import Principal
from beffroi.api.auth.roles import Role
from beffroi.api.auth.tokens import ALGORITHM, LOCAL_ISSUER, LocalTokens
from beffroi.errors import NotFound
from beffroi.store.store import Store


class Authenticator:
    """Checks tokens. A local token is honoured only while its account exists and is enabled, with the account's
    current role; an OIDC token (any public-key algorithm) goes to the OIDC verifier when one is configured."""

    def __init__(self, store: Store, local: LocalTokens, oidc: OidcVerifier | None = None) -> None:
        self._store = store
        self._local = local
        self._oidc = oidc

    async def authenticate(self, token: str) -> Principal:
        """The caller; AuthenticationFailed (401) for anything but a valid, current token."""
        header = _header(token)
        if header.get("alg") == ALGORITHM:
            return await self._local_principal(token)
        if self._oidc is None:
            raise AuthenticationFailed("invalid_token", f"tokens signed with {header.get('alg')!r} are not accepted")
        return await self._oidc.verify(token, header)

    async def _local_principal(self, token: str) -> Principal:
        claims = self._local.verify(token)
        try:
            user = await asyncio.to_thread(self._store.get_user, claims.tenant_id, claims.subject)
        except NotFound:
            raise AuthenticationFailed("invalid_token", "the token's account no longer exists") from None
        if user.disabled:
            raise AuthenticationFailed("account_disabled", "the token's account is disabled")
        return Principal(claims.subject, claims.tenant_id, Role.parse(user.role), LOCAL_ISSUER)


def _header(token: str) -> Mapping[str, Any]:
    try:
        header: Mapping[str, Any] = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise AuthenticationFailed("invalid_token", f"not a JSON Web Token: {error}") from None
    return header
