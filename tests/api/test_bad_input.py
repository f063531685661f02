"""Bad input on every route gets a 4xx whose JSON body has a machine-readable `reason` and a `detail`; no input
makes the API answer 5xx."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from beffroi.api.auth.roles import Role
from tests.api.routes import ROUTES, Route
from tests.api.world import DEVICE, TENANT_A, headers

ADMIN = headers(TENANT_A, Role.ADMIN)

BAD_QUERIES = [
    "limit=0",
    "limit=100001",
    "limit=ten",
    "offset=-1",
    "since=nan",
    "since=-1",
    "until=inf",
    "until=1e300",
    "since=2024-07-26",
    "kind=toaster",
    "bucket=2m",
    "state=panicking",
    "site_id=",
    "device_id=" + "x" * 500,
    "metric=%00",
]
WEIRD_IDS = ["%2e%2e%2fetc", "x" * 2000, "caf%C3%A9", "%F0%9F%94%A5", "a%00b", "'%20OR%201=1--"]


def assert_clean_error(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body["reason"], str) and body["reason"]
        assert isinstance(body["detail"], str)


async def send(client: httpx.AsyncClient, route: Route, path: str, **overrides: Any) -> httpx.Response:
    options: dict[str, Any] = {"json": route.json, "content": route.content, "headers": {**route.headers, **ADMIN}}
    options.update(overrides)
    return await client.request(route.method, path, **options)


@pytest.mark.parametrize("route", ROUTES, ids=str)
async def test_bad_query_parameters_never_5xx(client: httpx.AsyncClient, route: Route) -> None:
    for query in BAD_QUERIES:
        joiner = "&" if "?" in route.path else "?"
        assert_clean_error(await send(client, route, f"{route.path}{joiner}{query}"))


@pytest.mark.parametrize("route", [route for route in ROUTES if "{" in route.template], ids=str)
async def test_weird_ids_are_404_not_5xx(client: httpx.AsyncClient, route: Route) -> None:
    template = route.template
    for weird in WEIRD_IDS:
        path = template.split("{")[0] + weird + template.split("}")[1]
        query = route.path.partition("?")[2]
        response = await send(client, route, path + (f"?{query}" if query else ""))
        assert_clean_error(response)
        assert response.status_code in {404, 422}, (path, response.status_code)


@pytest.mark.parametrize("route", [route for route in ROUTES if route.method == "POST"], ids=str)
async def test_bad_bodies_never_5xx(client: httpx.AsyncClient, route: Route) -> None:
    bodies: list[dict[str, Any]] = [
        {"content": b"{not json", "headers": {**ADMIN, "Content-Type": "application/json"}},
        {"content": b"\xff\xfe\x00", "headers": {**ADMIN, "Content-Type": "application/octet-stream"}},
        {"json": {"reason": "x" * 10_000, "duration_s": 1e308}},
        {"json": [[[[[]]]]]},
        {"json": None, "content": None},
    ]
    for options in bodies:
        assert_clean_error(await send(client, route, route.path, **{"json": None, "content": None, **options}))


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/devices?limit=0", "query.limit"),
        ("/api/devices?offset=-1", "query.offset"),
        ("/api/devices?kind=toaster", "query.kind"),
        (f"/api/readings?device_id={DEVICE}&since=nan", "query.since"),
        ("/api/readings", "query.device_id"),
        (f"/api/readings/rollup?device_id={DEVICE}&metric=occupancy&bucket=2m", "query.bucket"),
        ("/api/alarms?state=panicking", "query.state[0]"),
        ("/api/events?until=1e300", "query.until"),
    ],
)
async def test_validation_errors_name_the_parameter(client: httpx.AsyncClient, path: str, field: str) -> None:
    response = await client.get(path, headers=ADMIN)
    assert response.status_code == 422
    body = response.json()
    assert body["reason"] == "invalid_request"
    assert field in [error["field"] for error in body["errors"]]
    assert field in body["detail"]


async def test_unknown_paths_and_methods_answer_in_the_same_shape(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/nothing-here", headers=ADMIN)
    assert (missing.status_code, missing.json()["reason"]) == (404, "not_found")
    wrong_method = await client.delete("/api/sites", headers=ADMIN)
    assert (wrong_method.status_code, wrong_method.json()["reason"]) == (405, "method_not_allowed")
