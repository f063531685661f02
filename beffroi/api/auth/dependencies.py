"""FastAPI dependencies: the caller from the bearer token, and `require(role)` guarding each route."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from beffroi.api.auth.errors import AuthenticationFailed, PermissionDenied
from beffroi.api.auth.principal import Principal
from beffroi.api.auth.roles import Role
from beffroi.api.context import ApiContext, api_context

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="JWT",
    description="A token from POST /api/auth/login, or an access token of the configured OIDC identity provider.",
)


async def current_principal(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    context: Annotated[ApiContext, Depends(api_context)],
) -> Principal:
    """The authenticated caller; AuthenticationFailed (401) without a valid bearer token."""
    if credentials is None or not credentials.credentials:
        raise AuthenticationFailed("not_authenticated", "send `Authorization: Bearer TOKEN` (POST /api/auth/login)")
    return await context.authenticator.authenticate(credentials.credentials)


def require(role: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency returning the caller when their role is `role` or above; PermissionDenied (403) otherwise."""

    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.role.allows(role):
            raise PermissionDenied(f"this needs the {role.value} role; you have {principal.role.value}")
        return principal

    return check


Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]
Supervisor = Annotated[Principal, Depends(require(Role.SUPERVISOR))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Context = Annotated[ApiContext, Depends(api_context)]
