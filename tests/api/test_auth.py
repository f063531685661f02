"""Local accounts: login with the password gives a signed token; every failure is a 401 that says nothing of why,
and is audited; expired, forged or tampered tokens are refused; an account disabled later loses its tokens."""

from __future__ import annotations

import time

import httpx
import jwt
import msgspec
import pytest

from beffroi.api.auth.passwords import hash_password, verify_password
from beffroi.api.auth.roles import Role
from beffroi.api.auth.settings import AuthSettings
from beffroi.api.auth.tokens import LocalTokens
from beffroi.errors import ConfigError
from beffroi.store.store import Store
from tests.api.world import PASSWORD, SECRET, TENANT_A, TENANT_B, token


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


async def login(client: httpx.AsyncClient, username: str, password: str, tenant: str = TENANT_A) -> httpx.Response:
    return await client.post("/api/auth/login", json={"tenant": tenant, "username": username, "password": password})


async def test_login_gives_a_token_that_names_the_user(client: httpx.AsyncClient, world: Store) -> None:
    response = await login(client, "operator", PASSWORD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["token_type"], body["tenant"], body["username"], body["role"]) == (
        "bearer",
        TENANT_A,
        "operator",
        "operator",
    )
    claims = jwt.decode(body["access_token"], SECRET, algorithms=["HS256"])
    assert (claims["sub"], claims["tenant"], claims["role"]) == ("operator", TENANT_A, "operator")
    assert claims["exp"] == body["expires_at"] and time.time() + 8 * 3600 - 60 < claims["exp"] <= time.time() + 8 * 3600
    me = await client.get("/api/auth/me", headers=bearer(body["access_token"]))
    assert me.json() == {"subject": "operator", "tenant_id": TENANT_A, "role": "operator", "issuer": "beffroi"}
    audit = world.query_audit(TENANT_A, target_id="operator")
    assert [(entry.action, entry.actor) for entry in audit] == [("auth.login", "operator")]


@pytest.mark.parametrize(
    ("tenant", "username", "password", "why"),
    [
        (TENANT_A, "operator", "wrong password", "refused"),
        (TENANT_A, "nobody", PASSWORD, "unknown_user"),
        (TENANT_A, "ghost", PASSWORD, "refused"),  # disabled
        (TENANT_B, "operator", "wrong password", "refused"),
    ],
)
async def test_a_failed_login_is_401_and_audited(
    client: httpx.AsyncClient, world: Store, tenant: str, username: str, password: str, why: str
) -> None:
    response = await login(client, username, password, tenant)
    assert response.status_code == 401
    assert response.json()["reason"] == "invalid_credentials"
    assert response.headers["WWW-Authenticate"] == "Bearer"
    audit = world.query_audit(tenant, target_id=username)
    assert [(entry.action, entry.details) for entry in audit] == [("auth.login_failed", {"why": why})]


async def test_a_login_to_an_unknown_tenant_is_401_and_writes_no_audit_row(
    client: httpx.AsyncClient, world: Store
) -> None:
    response = await login(client, "admin", PASSWORD, "made-up")
    assert response.status_code == 401
    assert world.query_audit("made-up") == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"tenant": TENANT_A, "username": "admin"},
        {"tenant": "", "username": "admin", "password": "x"},
        {"tenant": TENANT_A, "username": "admin", "password": "x", "extra": 1},
        {"tenant": 1, "username": [], "password": None},
        "not an object",
    ],
)
async def test_a_malformed_login_is_422_naming_the_field(client: httpx.AsyncClient, body: object) -> None:
    response = await client.post("/api/auth/login", json=body)
    assert response.status_code == 422
    assert response.json()["reason"] == "invalid_request"
    assert all(error["field"].startswith("body") for error in response.json()["errors"])


async def test_a_login_body_that_is_not_json_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/auth/login", content=b"{not json", headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()["reason"]) == (422, "invalid_request")


def forge(claims: dict[str, object], secret: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


def claims(**changes: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {
        "sub": "admin",
        "tenant": TENANT_A,
        "role": "admin",
        "iss": "beffroi",
        "iat": now,
        "exp": now + 600,
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


@pytest.mark.parametrize(
    ("bad_token", "reason"),
    [
        (forge(claims(exp=int(time.time()) - 10)), "token_expired"),
        (forge(claims(), secret="another-secret-of-forty-characters-long!!"), "invalid_token"),
        (forge(claims(iss="someone-else")), "invalid_token"),
        (forge(claims(tenant=None)), "invalid_token"),
        (forge(claims(role="emperor")), "invalid_token"),
        (forge(claims(sub="")), "invalid_token"),
        (forge(claims(sub="nobody")), "invalid_token"),  # no such account
        (forge(claims(sub="ghost")), "account_disabled"),
        (jwt.encode(claims(), "", algorithm="none"), "invalid_token"),
        ("not-a-jwt", "invalid_token"),
        ("a.b.c", "invalid_token"),
    ],
    ids=range(11),
)
async def test_bad_tokens_are_401(client: httpx.AsyncClient, bad_token: str, reason: str) -> None:
    response = await client.get("/api/auth/me", headers=bearer(bad_token))
    assert (response.status_code, response.json()["reason"]) == (401, reason), response.text


async def test_a_tampered_token_is_refused(client: httpx.AsyncClient) -> None:
    header, payload, signature = token(TENANT_A, Role.VIEWER).split(".")
    decoded = msgspec.json.decode(jwt.utils.base64url_decode(payload))
    raised = jwt.utils.base64url_encode(msgspec.json.encode({**decoded, "role": "admin"})).decode()
    response = await client.get("/api/tenants", headers=bearer(f"{header}.{raised}.{signature}"))
    assert (response.status_code, response.json()["reason"]) == (401, "invalid_token")


async def test_a_token_follows_its_account_disabled_or_demoted(client: httpx.AsyncClient, world: Store) -> None:
    issued = token(TENANT_A, Role.ADMIN)
    assert (await client.get("/api/dead-letters", headers=bearer(issued))).status_code == 200
    admin = world.get_user(TENANT_A, "admin")
    world.upsert_user(msgspec.structs.replace(admin, role="viewer"))
    assert (await client.get("/api/dead-letters", headers=bearer(issued))).status_code == 403
    world.upsert_user(msgspec.structs.replace(admin, disabled=True))
    assert (await client.get("/api/sites", headers=bearer(issued))).status_code == 401


def test_the_api_refuses_to_start_without_a_long_secret() -> None:
    with pytest.raises(ConfigError, match="BEFFROI_API_SECRET"):
        AuthSettings("")
    with pytest.raises(ConfigError, match="at least 32"):
        AuthSettings("short")
    assert "x" * 32 not in repr(AuthSettings("x" * 32))


def test_passwords_are_salted_argon2id_hashes() -> None:
    first, second = hash_password("s3cret"), hash_password("s3cret")
    assert first.startswith("$argon2id$") and first != second
    assert verify_password(first, "s3cret") and not verify_password(first, "S3cret")
    assert not verify_password("not a hash", "s3cret")


def test_local_tokens_carry_the_ttl_from_the_clock() -> None:
    issued = LocalTokens(SECRET, 120, clock=lambda: 1_000.0).issue("ann", TENANT_A, Role.OPERATOR)
    assert issued.expires_at == 1_120.0
