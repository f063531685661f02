"""/api/users: administrators manage the local accounts of their own tenant; every change is audited, nobody can lock
themselves out, other roles get 403 and another tenant's users do not exist (404)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter

from beffroi.api.app import create_app
from beffroi.api.auth.roles import Role
from beffroi.api.auth.settings import AuthSettings
from beffroi.api.schemas_users import UserOut
from beffroi.store.store import Store
from tests.api.world import PASSWORD, SECRET, TENANT_A, TENANT_B, headers

ADMIN_A = headers(TENANT_A, Role.ADMIN)
ADMIN_B = headers(TENANT_B, Role.ADMIN)
NEW_PASSWORD = "a brand new passphrase"
USER_ROUTES = [
    ("GET", "/api/users", None),
    ("GET", "/api/users/operator", None),
    ("POST", "/api/users", {"username": "newbie", "password": NEW_PASSWORD, "role": "viewer"}),
    ("PATCH", "/api/users/operator", {"role": "supervisor"}),
    ("PUT", "/api/users/operator/password", {"password": NEW_PASSWORD}),
]


@pytest.fixture
async def client(world: Store) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(component_states=dict, store=world, auth=AuthSettings(SECRET))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://beffroi") as http:
        yield http


async def call(
    client: httpx.AsyncClient, method: str, path: str, json: Any = None, auth: dict[str, str] = ADMIN_A
) -> httpx.Response:
    return await client.request(method, path, json=json, headers=auth)


async def login(client: httpx.AsyncClient, tenant: str, username: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/login", json={"tenant": tenant, "username": username, "password": password})


def audit_of(world: Store, tenant: str, username: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(action, actor, details) of the user.* entries about one user, oldest first."""
    entries = world.query_audit(tenant, target_id=username)
    return [(e.action, e.actor, dict(e.details)) for e in reversed(entries) if e.action.startswith("user.")]


async def test_admins_list_their_tenants_users_without_password_hashes(client: httpx.AsyncClient) -> None:
    response = await call(client, "GET", "/api/users")
    assert response.status_code == 200, response.text
    listed = TypeAdapter(list[UserOut]).validate_python(response.json())
    assert [user.username for user in listed] == ["admin", "ghost", "operator", "supervisor", "viewer"]
    assert {user.tenant_id for user in listed} == {TENANT_A}
    assert all("password" not in key for body in response.json() for key in body)
    ghost = next(user for user in listed if user.username == "ghost")
    assert (ghost.role, ghost.disabled, ghost.display_name) == (Role.ADMIN, True, "Disabled")
    one = await call(client, "GET", "/api/users/operator")
    assert UserOut.model_validate(one.json()).role is Role.OPERATOR


async def test_an_admin_creates_a_user_who_can_log_in(client: httpx.AsyncClient, world: Store) -> None:
    body = {"username": "newbie", "password": NEW_PASSWORD, "role": "operator", "display_name": "New Bie"}
    response = await call(client, "POST", "/api/users", body)
    assert response.status_code == 201, response.text
    created = UserOut.model_validate(response.json())
    assert (created.tenant_id, created.username, created.role, created.disabled) == (
        TENANT_A,
        "newbie",
        Role.OPERATOR,
        False,
    )
    stored = world.get_user(TENANT_A, "newbie")
    assert stored.password_hash.startswith("$argon2id$") and NEW_PASSWORD not in stored.password_hash
    logged_in = await login(client, TENANT_A, "newbie", NEW_PASSWORD)
    assert logged_in.status_code == 200 and logged_in.json()["role"] == "operator"
    assert audit_of(world, TENANT_A, "newbie")[0] == ("user.created", "admin", {"role": "operator"})


async def test_a_taken_username_is_409_but_only_within_the_tenant(client: httpx.AsyncClient, world: Store) -> None:
    taken = await call(
        client, "POST", "/api/users", {"username": "operator", "password": NEW_PASSWORD, "role": "admin"}
    )
    assert taken.status_code == 409, taken.text
    assert taken.json()["reason"] == "duplicate_username" and "'operator'" in taken.json()["detail"]
    assert world.get_user(TENANT_A, "operator").role == "operator"
    assert audit_of(world, TENANT_A, "operator") == []
    body = {"username": "newbie", "password": NEW_PASSWORD, "role": "viewer"}
    assert (await call(client, "POST", "/api/users", body)).status_code == 201
    assert (await call(client, "POST", "/api/users", body, auth=ADMIN_B)).status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "newbie", "password": "short", "role": "viewer"}, "body.password"),
        ({"username": "newbie", "password": NEW_PASSWORD, "role": "root"}, "body.role"),
        ({"username": "new bie", "password": NEW_PASSWORD, "role": "viewer"}, "body.username"),
        ({"username": "", "password": NEW_PASSWORD, "role": "viewer"}, "body.username"),
        ({"username": "newbie", "password": NEW_PASSWORD}, "body.role"),
        (
            {"username": "newbie", "password": NEW_PASSWORD, "role": "viewer", "password_hash": "x"},
            "body.password_hash",
        ),
    ],
)
async def test_a_bad_new_user_is_422_naming_the_field(
    client: httpx.AsyncClient, world: Store, body: dict[str, Any], field: str
) -> None:
    response = await call(client, "POST", "/api/users", body)
    assert (response.status_code, response.json()["reason"]) == (422, "invalid_request")
    assert field in [error["field"] for error in response.json()["errors"]]
    assert [user.username for user in world.list_users(TENANT_A)].count("newbie") == 0


async def test_a_role_change_is_audited_and_takes_effect_at_once(client: httpx.AsyncClient, world: Store) -> None:
    operator = headers(TENANT_A, Role.OPERATOR)
    response = await call(client, "PATCH", "/api/users/operator", {"role": "supervisor"})
    assert response.status_code == 200, response.text
    assert UserOut.model_validate(response.json()).role is Role.SUPERVISOR
    me = await client.get("/api/auth/me", headers=operator)  # the same token, the account's current role
    assert me.json()["role"] == "supervisor"
    assert (await client.get("/api/audit", headers=operator)).status_code == 200
    assert audit_of(world, TENANT_A, "operator") == [
        ("user.role_changed", "admin", {"from_role": "operator", "to_role": "supervisor"})
    ]
    assert world.get_user(TENANT_B, "operator").role == "operator"


async def test_disable_and_enable_are_audited_and_lock_the_account(client: httpx.AsyncClient, world: Store) -> None:
    viewer = headers(TENANT_A, Role.VIEWER)
    disabled = await call(client, "PATCH", "/api/users/viewer", {"disabled": True})
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    refused = await client.get("/api/auth/me", headers=viewer)
    assert (refused.status_code, refused.json()["reason"]) == (401, "account_disabled")
    assert (await login(client, TENANT_A, "viewer", PASSWORD)).status_code == 401
    enabled = await call(client, "PATCH", "/api/users/viewer", {"disabled": False, "display_name": "Back"})
    assert enabled.status_code == 200 and (enabled.json()["disabled"], enabled.json()["display_name"]) == (
        False,
        "Back",
    )
    assert (await client.get("/api/auth/me", headers=viewer)).status_code == 200
    assert audit_of(world, TENANT_A, "viewer") == [
        ("user.disabled", "admin", {}),
        ("user.enabled", "admin", {}),
        ("user.display_name_changed", "admin", {"from": "Viewer", "to": "Back"}),
    ]


async def test_a_change_to_the_current_values_changes_and_audits_nothing(
    client: httpx.AsyncClient, world: Store
) -> None:
    same = await call(client, "PATCH", "/api/users/operator", {"role": "operator", "disabled": False})
    assert same.status_code == 200 and same.json()["role"] == "operator"
    assert audit_of(world, TENANT_A, "operator") == []
    for body in ({}, {"role": None}, {"role": "boss"}, {"disabled": "maybe"}, {"password": NEW_PASSWORD}):
        response = await call(client, "PATCH", "/api/users/operator", body)
        assert (response.status_code, response.json()["reason"]) == (422, "invalid_request"), body


async def test_an_admin_cannot_disable_or_demote_themselves(client: httpx.AsyncClient, world: Store) -> None:
    for body in ({"disabled": True}, {"role": "supervisor"}, {"role": "viewer", "disabled": False}):
        response = await call(client, "PATCH", "/api/users/admin", body)
        assert response.status_code == 409, body
        assert response.json()["reason"] == "own_account"
    stored = world.get_user(TENANT_A, "admin")
    assert (stored.role, stored.disabled) == ("admin", False)
    assert audit_of(world, TENANT_A, "admin") == []
    renamed = await call(client, "PATCH", "/api/users/admin", {"role": "admin", "display_name": "Chief"})
    assert renamed.status_code == 200 and renamed.json()["display_name"] == "Chief"
    demoted = await call(client, "PATCH", "/api/users/ghost", {"role": "viewer"})  # another admin: allowed
    assert demoted.status_code == 200 and demoted.json()["role"] == "viewer"


async def test_a_password_reset_is_audited_without_the_password(client: httpx.AsyncClient, world: Store) -> None:
    response = await call(client, "PUT", "/api/users/operator/password", {"password": NEW_PASSWORD})
    assert response.status_code == 204 and response.content == b""
    assert (await login(client, TENANT_A, "operator", PASSWORD)).status_code == 401
    assert (await login(client, TENANT_A, "operator", NEW_PASSWORD)).status_code == 200
    assert (await login(client, TENANT_B, "operator", PASSWORD)).status_code == 200  # the other tenant's account
    assert audit_of(world, TENANT_A, "operator") == [("user.password_reset", "admin", {})]
    short = await call(client, "PUT", "/api/users/operator/password", {"password": "short"})
    assert (short.status_code, short.json()["errors"][0]["field"]) == (422, "body.password")


async def test_another_tenants_user_is_404_and_untouched(client: httpx.AsyncClient, world: Store) -> None:
    created = await call(
        client, "POST", "/api/users", {"username": "b-only", "password": NEW_PASSWORD, "role": "admin"}, ADMIN_B
    )
    assert created.status_code == 201
    for method, path, json in (
        ("GET", "/api/users/b-only", None),
        ("PATCH", "/api/users/b-only", {"disabled": True}),
        ("PUT", "/api/users/b-only/password", {"password": NEW_PASSWORD}),
    ):
        response = await call(client, method, path, json)
        assert (response.status_code, response.json()["reason"]) == (404, "not_found"), (method, path)
    assert "b-only" not in [body["username"] for body in (await call(client, "GET", "/api/users")).json()]
    assert world.get_user(TENANT_B, "b-only").disabled is False
    assert audit_of(world, TENANT_A, "b-only") == []
    assert (await login(client, TENANT_B, "b-only", NEW_PASSWORD)).status_code == 200


@pytest.mark.parametrize(("method", "path", "json"), USER_ROUTES, ids=[f"{m} {p}" for m, p, _ in USER_ROUTES])
@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR, Role.SUPERVISOR], ids=str)
async def test_only_admins_may_use_the_user_routes(
    client: httpx.AsyncClient, world: Store, method: str, path: str, json: Any, role: Role
) -> None:
    response = await call(client, method, path, json, headers(TENANT_A, role))
    assert (response.status_code, response.json()["reason"]) == (403, "forbidden")
    assert "admin" in response.json()["detail"]
    assert (await call(client, method, path, json, {})).status_code == 401
    allowed = await call(client, method, path, json, ADMIN_A)
    assert allowed.status_code < 300, allowed.text
