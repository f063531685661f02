"""OIDC bearer tokens from an external identity provider: accepted with the right signature, issuer and audience,
their tenant and role read from the claims; refused otherwise. Keys are generated here; the JWKS is given inline,
in a file, or served over HTTP by a real local server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI

from beffroi.api.app import create_app
from beffroi.api.auth.roles import Role
from beffroi.api.auth.settings import AuthSettings, OidcSettings
from beffroi.errors import ConfigError
from beffroi.store.store import Store
from tests.api.world import SECRET, TENANT_A, TENANT_B

ISSUER = "https://idp.example/realms/city"
AUDIENCE = "beffroi"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
INTRUDER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks() -> dict[str, Any]:
    rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(RSA_KEY.public_key()))
    ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(EC_KEY.public_key()))
    return {
        "keys": [
            {**rsa_jwk, "kid": "rsa-1", "alg": "RS256", "use": "sig"},
            {**ec_jwk, "kid": "ec-1", "alg": "ES256", "use": "sig"},
        ]
    }


def oidc_token(key: Any = RSA_KEY, kid: str = "rsa-1", algorithm: str = "RS256", **changes: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "f1e2d3",
        "preferred_username": "marie",
        "tenant": TENANT_A,
        "realm_access": {"roles": ["offline_access", "viewer", "operator"]},
        "iat": now,
        "exp": now + 300,
    }
    claims.update(changes)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid})


def settings(**changes: Any) -> OidcSettings:
    values: dict[str, Any] = {
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "jwks": jwks(),
        "role_claim": "realm_access.roles",
    }
    values.update(changes)
    return OidcSettings(**values)


def app_with(world: Store, oidc: OidcSettings) -> FastAPI:
    return create_app(component_states=dict, store=world, auth=AuthSettings(SECRET, oidc=oidc))


@pytest.fixture
async def oidc_client(world: Store) -> AsyncIterator[httpx.AsyncClient]:
    app = app_with(world, settings())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://beffroi") as http:
        yield http


async def me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})


async def test_a_good_token_is_accepted_with_its_tenant_and_highest_role(oidc_client: httpx.AsyncClient) -> None:
    response = await me(oidc_client, oidc_token())
    assert response.status_code == 200, response.text
    assert response.json() == {"subject": "marie", "tenant_id": TENANT_A, "role": "operator", "issuer": ISSUER}
    es = await me(oidc_client, oidc_token(EC_KEY, "ec-1", "ES256", realm_access={"roles": ["admin"]}))
    assert es.json()["role"] == "admin"


async def test_an_oidc_user_sees_only_their_tenant(oidc_client: httpx.AsyncClient) -> None:
    headers = {"Authorization": f"Bearer {oidc_token(tenant=TENANT_B)}"}
    alarms = (await oidc_client.get("/api/alarms", headers=headers)).json()
    assert [alarm["id"] for alarm in alarms] == ["b-critical"]
    assert (await oidc_client.get("/api/alarms/a-critical", headers=headers)).status_code == 404
    assert (await oidc_client.get("/api/audit", headers=headers)).status_code == 403  # operator < supervisor


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (lambda: oidc_token(iss="https://evil.example/realms/city"), "invalid_token"),
        (lambda: oidc_token(aud="another-app"), "invalid_token"),
        (lambda: oidc_token(aud=None), "invalid_token"),
        (lambda: oidc_token(exp=int(time.time()) - 120), "token_expired"),
        (lambda: oidc_token(INTRUDER_KEY), "invalid_token"),  # right kid, wrong key
        (lambda: oidc_token(INTRUDER_KEY, kid="rsa-9"), "invalid_token"),  # unknown kid
        (lambda: oidc_token(EC_KEY, "rsa-1", "ES256"), "invalid_token"),  # key of another type
        (lambda: oidc_token(RSA_KEY, "rsa-1", "RS512"), "invalid_token"),  # algorithm not accepted
        (lambda: oidc_token(tenant=None), "no_tenant"),
        (lambda: oidc_token(tenant=["city-a"]), "no_tenant"),
        (lambda: oidc_token(realm_access={"roles": ["offline_access"]}), "no_role"),
        (lambda: oidc_token(realm_access=None), "no_role"),
        (lambda: jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "x"}, SECRET, algorithm="HS256"), "invalid_token"),
    ],
    ids=range(13),
)
async def test_bad_oidc_tokens_are_401(oidc_client: httpx.AsyncClient, bad: Any, reason: str) -> None:
    response = await me(oidc_client, bad())
    assert (response.status_code, response.json()["reason"]) == (401, reason), response.text


async def test_defaults_apply_when_the_claims_are_absent(world: Store) -> None:
    app = app_with(world, settings(default_tenant=TENANT_B, default_role=Role.VIEWER, role_claim="roles"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://beffroi") as http:
        response = await me(http, oidc_token(tenant=None))
    assert (response.json()["tenant_id"], response.json()["role"]) == (TENANT_B, "viewer")


async def test_without_oidc_only_local_tokens_are_accepted(client: httpx.AsyncClient) -> None:
    response = await me(client, oidc_token())
    assert (response.status_code, response.json()["reason"]) == (401, "invalid_token")


async def test_the_keys_may_come_from_a_file(world: Store, tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks()), encoding="utf-8")
    app = app_with(world, settings(jwks=None, jwks_file=path))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://beffroi") as http:
        assert (await me(http, oidc_token())).status_code == 200


def test_bad_key_settings_fail_at_start_up(world: Store, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="exactly one"):
        settings(jwks_url="http://127.0.0.1:1/jwks")
    with pytest.raises(ConfigError, match="public-key"):
        settings(algorithms=("HS256",))
    with pytest.raises(ConfigError, match="cannot read the JWKS"):
        app_with(world, settings(jwks=None, jwks_file=tmp_path / "missing.json"))
    with pytest.raises(ConfigError, match="not a usable JWKS"):
        app_with(world, settings(jwks={"keys": [{"kty": "nonsense"}]}))


class JwksServer:
    """A real HTTP server on 127.0.0.1 serving the JWKS, counting its requests."""

    def __init__(self) -> None:
        self.requests = 0
        self.document: dict[str, Any] = jwks()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                body = json.dumps(outer.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/certs"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    server = JwksServer()
    yield server
    server.close()


async def test_the_keys_may_come_from_a_url_fetched_once_and_cached(world: Store, jwks_server: JwksServer) -> None:
    app = app_with(world, settings(jwks=None, jwks_url=jwks_server.url))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://beffroi") as http:
        for _ in range(3):
            assert (await me(http, oidc_token())).status_code == 200
        assert jwks_server.requests == 1
        unknown = await me(http, oidc_token(INTRUDER_KEY, kid="rotated"))  # refetch is rate-limited: no new fetch
        assert (unknown.status_code, jwks_server.requests) == (401, 1)


async def test_an_unreachable_key_url_is_401_not_500(world: Store, jwks_server: JwksServer) -> None:
    url = jwks_server.url
    jwks_server.close()
    app = app_with(world, settings(jwks=None, jwks_url=url))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://beffroi") as http:
        response = await me(http, oidc_token())
    assert (response.status_code, response.json()["reason"]) == (401, "identity_provider_unavailable")
