"""The role matrix: every route answers 403 to the roles below its own and serves every role from its own up;
without a valid token every route answers 401."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from beffroi.api.auth.roles import Role
from tests.api.routes import ROUTES, Route
from tests.api.world import TENANT_A, headers


async def call(client: httpx.AsyncClient, route: Route, auth: dict[str, str]) -> httpx.Response:
    return await client.request(
        route.method, route.path, json=route.json, content=route.content, headers={**route.headers, **auth}
    )


def test_the_route_table_covers_every_api_route(api: FastAPI) -> None:
    served = {
        (method.upper(), path)
        for path, operations in api.openapi()["paths"].items()
        if path.startswith("/api/")
        for method in operations
    }
    listed = {(route.method, route.template) for route in ROUTES}
    assert served - listed == {("POST", "/api/auth/login")}
    assert listed <= served


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", list(Role), ids=str)
async def test_each_role_is_allowed_exactly_the_routes_of_its_rank(
    client: httpx.AsyncClient, route: Route, role: Role
) -> None:
    response = await call(client, route, headers(TENANT_A, role))
    if role.allows(route.role):
        assert response.status_code < 300, response.text
    else:
        assert response.status_code == 403, response.text
        assert response.json()["reason"] == "forbidden"
        assert route.role.value in response.json()["detail"]


@pytest.mark.parametrize("route", ROUTES, ids=str)
async def test_every_route_needs_a_token(client: httpx.AsyncClient, route: Route) -> None:
    response = await call(client, route, {})
    assert response.status_code == 401
    assert response.json()["reason"] == "not_authenticated"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_roles_are_ordered() -> None:
    assert [role.rank for role in Role] == [0, 1, 2, 3]
    assert Role.ADMIN.allows(Role.VIEWER) and not Role.VIEWER.allows(Role.OPERATOR)
    assert Role.SUPERVISOR.allows(Role.OPERATOR) and not Role.SUPERVISOR.allows(Role.ADMIN)
