"""GET /api/supervision/alarm-rates against the test world's stored alarms and a few more: counts per operator desk
(resolved from the tenant's sites) and per site in the window, the peak of any 10 minutes of the period, floods now
and in the period, only the caller's tenant, and bad parameters refused; plus the peak count itself."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter

from beffroi.api.alarm_rates import AlarmRatesOut, peak_count
from beffroi.api.app import create_app
from beffroi.api.auth.roles import Role
from beffroi.api.auth.settings import AuthSettings
from beffroi.domain.alarms import Alarm, AlarmKey, Priority, clear, raise_alarm, return_to_normal
from beffroi.engine.desks import OperatorDesk
from beffroi.store.store import Store
from tests.api.world import SECRET, SITE, T0, TENANT_A, TENANT_B, headers

SUPERVISOR = headers(TENANT_A, Role.SUPERVISOR)
DESKS = [OperatorDesk("plaza", site_ids=frozenset({SITE})), OperatorDesk("rest", site_ids=frozenset({"*"}))]
NOW = T0 + 60
BURST_AT = T0 - 7200
OpenClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def alarm(alarm_id: str, ts: float, *, tenant: str = TENANT_A, site: str | None = SITE, source: str = "dev") -> Alarm:
    kind = "alarm_flood" if source.startswith("desk:") else "test_alarm"
    return raise_alarm(alarm_id, AlarmKey(tenant, source, kind, site, None), Priority.LOW, alarm_id, ts)


def more_alarms(store: Store) -> None:
    """Besides the world's four alarms on the square (at T0 - 100 … T0 + 20): a burst of 12 there two hours earlier,
    an alarm without a site, a flood at the plaza desk now and one three hours ago, and city-b's own flood."""
    burst = [clear(alarm(f"burst-{i}", BURST_AT + 40 * i, source=f"dev-{i}"), T0, "op") for i in range(12)]
    store.save_alarms(
        [
            *burst,
            alarm("no-site", T0 + 40, site=None, source="radio"),
            alarm("flood-now", T0 + 30, site=None, source="desk:plaza"),
            clear(return_to_normal(alarm("flood-old", T0 - 3 * 3600, site=None, source="desk:plaza"), T0), T0, "op"),
            alarm("b-flood", T0 + 30, tenant=TENANT_B, site=None, source="desk:rest"),
        ]
    )


@pytest.fixture
def rates_client(world: Store) -> OpenClient:
    """A client of an API with the two desks and a clock at NOW (or the one given)."""
    more_alarms(world)

    @asynccontextmanager
    async def open_client(clock: float = NOW) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(
            component_states=dict, store=world, auth=AuthSettings(SECRET), desks=DESKS, clock=lambda: clock
        )
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://beffroi") as client:
            yield client

    return open_client


async def rates(client: httpx.AsyncClient, query: str = "") -> Any:
    response = await client.get(f"/api/supervision/alarm-rates{query}", headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    TypeAdapter(AlarmRatesOut).validate_python(response.json())
    return response.json()


async def test_counts_peaks_and_floods_per_desk_and_site(rates_client: OpenClient) -> None:
    async with rates_client() as client:
        assert await rates(client) == {
            "window_s": 600,
            "hours": 24,
            "desks": [
                {"desk": "plaza", "alarms_in_window": 4, "peak": 12, "flooding": True, "floods": 2},
                {"desk": "rest", "alarms_in_window": 1, "peak": 1, "flooding": False, "floods": 0},
            ],
            "sites": [{"site_id": SITE, "alarms_in_window": 4, "peak": 12}],
        }
        short = await rates(client, "?window_s=30&hours=1")
        assert (short["window_s"], short["hours"]) == (30, 1)
        assert [(d["desk"], d["alarms_in_window"], d["peak"], d["floods"]) for d in short["desks"]] == [
            ("plaza", 0, 4, 1),
            ("rest", 1, 1, 0),
        ]
        then = await rates(client, f"?at={BURST_AT + 450}&hours=1")
        assert then["sites"] == [{"site_id": SITE, "alarms_in_window": 12, "peak": 12}]


async def test_a_clock_behind_the_alarms_counts_up_to_the_newest_one(rates_client: OpenClient) -> None:
    async with rates_client(clock=T0 - 30 * 86_400.0) as client:  # an accelerated replay runs ahead of the clock
        assert await rates(client) == await rates(client, f"?at={T0 + 40}")
        assert (await rates(client))["desks"][0]["alarms_in_window"] == 4


async def test_without_desks_every_alarm_is_at_the_default_desk(world: Store) -> None:
    app = create_app(component_states=dict, store=world, auth=AuthSettings(SECRET), clock=lambda: NOW)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://beffroi") as client:
        body = await rates(client)
    assert body["desks"] == [{"desk": "main", "alarms_in_window": 4, "peak": 4, "flooding": False, "floods": 0}]
    assert "city-b" not in str(body)


@pytest.mark.parametrize("query", ["window_s=0", "window_s=86401", "hours=0", "hours=169", "at=-1", "window_s=ten"])
async def test_bad_parameters_are_refused(rates_client: OpenClient, query: str) -> None:
    async with rates_client() as client:
        response = await client.get(f"/api/supervision/alarm-rates?{query}", headers=SUPERVISOR)
        assert (response.status_code, response.json()["reason"]) == (422, "invalid_request")
        assert query.split("=", maxsplit=1)[0] in response.json()["detail"]


async def test_operators_may_not_read_them(rates_client: OpenClient) -> None:
    async with rates_client() as client:
        response = await client.get("/api/supervision/alarm-rates", headers=headers(TENANT_A, Role.OPERATOR))
        assert (response.status_code, response.json()["reason"]) == (403, "forbidden")


@pytest.mark.parametrize(
    ("times", "peak"),
    [
        ([], 0),
        ([5.0], 1),
        ([0.0, 599.9, 600.0], 2),  # 600 s apart is two windows
        ([0.0, 100.0, 200.0, 700.0, 750.0, 799.0, 1000.0], 4),
    ],
)
def test_the_peak_is_the_busiest_10_minutes(times: list[float], peak: int) -> None:
    assert peak_count(times) == peak
