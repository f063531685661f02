"""Incidents in the hub alone, its clock driven by the test: the open ones in the snapshot (most urgent first), each
change sent with the incident's new summary, a closed one sent once and then gone, forgotten after
`closed_alarm_keep_s` (an older cursor gets a snapshot), reopening, redeliveries, the sites filter and tenants."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from beffroi.api.live import LiveHub, LiveSettings
from beffroi.api.live.cursor import Cursor
from beffroi.domain import incidents as lifecycle
from beffroi.domain.alarms import Priority
from beffroi.domain.incidents import Disposition, Incident, IncidentState
from beffroi.domain.messages import IncidentChange, IncidentChangeKind
from tests.api.live.test_hub import T0, TENANT, ManualClock, changes

KEEP_S = 60.0


def incident(
    incident_id: str,
    priority: Priority = Priority.HIGH,
    *,
    opened_at: float = T0,
    site: str | None = "site-1",
    tenant: str = TENANT,
) -> Incident:
    return lifecycle.open_incident(
        incident_id,
        tenant,
        type="intrusion",
        title=f"Intrusion {incident_id}",
        priority=priority,
        rule="default",
        ts=opened_at,
        site_id=site,
        zone_id=None,
    )


def closed(held: Incident, ts: float) -> Incident:
    resolved = lifecycle.transition(held, IncidentState.RESOLVED, ts)
    disposed = lifecycle.set_disposition(resolved, ts, disposition=Disposition.TRUE, duplicate_of=None)
    return lifecycle.transition(disposed, IncidentState.CLOSED, ts)


def change(
    held: Incident, kind: IncidentChangeKind = IncidentChangeKind.TRANSITIONED, actor: str = "op"
) -> IncidentChange:
    return IncidentChange(kind, held, actor)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def hub(clock: ManualClock) -> LiveHub:
    hub = LiveHub(replace(LiveSettings(), closed_alarm_keep_s=KEEP_S), clock=clock, epoch="run1")
    hub.load_alarms([])
    hub.load_incidents(
        [
            incident("low", Priority.LOW),
            incident("urgent-old", Priority.CRITICAL, opened_at=T0 - 100),
            incident("urgent-new", Priority.CRITICAL, opened_at=T0),
            closed(incident("done"), T0),
            incident("elsewhere", tenant="other-city"),
        ]
    )
    hub.tick()
    return hub


def snapshot(hub: LiveHub, sites: list[str] | None = None, tenant: str = TENANT) -> dict[str, Any]:
    session = hub.connect(tenant, None, sites)
    hub.disconnect(session.subscriber)
    decoded: dict[str, Any] = json.loads(session.opening or b"")
    assert decoded["type"] == "snapshot"
    return decoded


def cursor_now(hub: LiveHub) -> Cursor:
    session = hub.connect(TENANT, None, None)
    hub.disconnect(session.subscriber)
    return Cursor.parse(session.cursor)


def test_the_snapshot_lists_the_open_incidents_most_urgent_then_newest_first(hub: LiveHub) -> None:
    state = snapshot(hub)
    assert [i["id"] for i in state["incidents"]] == ["urgent-new", "urgent-old", "low"]  # not the closed one
    first = state["incidents"][0]
    assert (first["state"], first["priority"], first["tenant_id"], first["site_id"]) == ("new", 1, TENANT, "site-1")
    assert first["alarm_ids"] == [] and first["closed_at"] is None
    assert [i["id"] for i in snapshot(hub, tenant="other-city")["incidents"]] == ["elsewhere"]


def test_a_change_sends_the_incidents_new_summary(hub: LiveHub) -> None:
    subscriber = hub.connect(TENANT, None, None).subscriber
    opened = incident("fresh", Priority.MEDIUM, opened_at=T0 + 5)
    hub.apply_incident_change(change(opened, IncidentChangeKind.OPENED, "engine"))
    started = lifecycle.transition(opened, IncidentState.IN_PROGRESS, T0 + 10)
    hub.apply_incident_change(change(started, actor="alice"))

    assert subscriber.waiting == 0  # nothing before the tick
    hub.tick()
    [raw] = subscriber.take_waiting()
    found = changes(raw)
    assert [(c["kind"], c["data"]["change"], c["data"]["actor"]) for c in found] == [
        ("incident", "opened", "engine"),
        ("incident", "transitioned", "alice"),
    ]
    assert set(found[1]["data"]) == {"change", "actor", "incident"}
    assert found[1]["data"]["incident"]["state"] == "in_progress"
    assert found[1]["data"]["incident"]["updated_at"] == T0 + 10
    assert found[0]["seq"] + 1 == found[1]["seq"]
    assert [i["id"] for i in snapshot(hub)["incidents"]] == ["urgent-new", "urgent-old", "fresh", "low"]
    assert snapshot(hub)["incidents"][2]["state"] == "in_progress"


def test_a_closed_incident_is_sent_once_then_leaves_the_state(hub: LiveHub) -> None:
    subscriber = hub.connect(TENANT, None, None).subscriber
    before = cursor_now(hub)
    held = incident("low", Priority.LOW)
    hub.apply_incident_change(change(closed(held, T0 + 30), actor="chief"))
    hub.tick()
    [raw] = subscriber.take_waiting()
    [sent_change] = changes(raw)
    assert sent_change["kind"] == "incident" and sent_change["data"]["incident"]["state"] == "closed"
    assert "low" not in {i["id"] for i in snapshot(hub)["incidents"]}
    assert "low" not in hub.feed(TENANT).incidents

    resumed = hub.connect(TENANT, before, None)  # a client that missed it still learns it is closed
    assert resumed.resumed and resumed.opening is not None
    [missed] = changes(resumed.opening)
    assert missed["data"]["incident"]["id"] == "low" and missed["data"]["incident"]["state"] == "closed"


def test_a_closed_incident_is_forgotten_after_the_keep_time_and_older_cursors_get_a_snapshot(
    hub: LiveHub, clock: ManualClock
) -> None:
    before = cursor_now(hub)
    hub.apply_incident_change(change(closed(incident("low", Priority.LOW), T0 + 30)))
    hub.tick()
    clock.now += KEEP_S - 1
    hub.tick()
    assert hub.connect(TENANT, before, None).resumed
    clock.now += 2
    hub.tick()
    later = hub.connect(TENANT, before, None)
    assert not later.resumed
    assert "low" not in {i["id"] for i in json.loads(later.opening or b"")["incidents"]}


def test_a_reopened_incident_comes_back_and_is_not_forgotten(hub: LiveHub, clock: ManualClock) -> None:
    done = closed(incident("low", Priority.LOW), T0 + 30)
    hub.apply_incident_change(change(done))
    reopened = lifecycle.transition(done, IncidentState.IN_PROGRESS, T0 + 40)
    hub.apply_incident_change(change(reopened, actor="chief"))
    clock.now += KEEP_S + 1
    hub.tick()
    assert [i["id"] for i in snapshot(hub)["incidents"]] == ["urgent-new", "urgent-old", "low"]
    assert snapshot(hub)["incidents"][2]["state"] == "in_progress"
    assert hub.feed(TENANT).purged_through == 0


def test_a_redelivered_older_change_is_ignored(hub: LiveHub) -> None:
    subscriber = hub.connect(TENANT, None, None).subscriber
    held = incident("low", Priority.LOW)
    started = lifecycle.transition(held, IncidentState.IN_PROGRESS, T0 + 10)
    hub.apply_incident_change(change(started))
    hub.apply_incident_change(change(held, IncidentChangeKind.OPENED))  # older: redelivered late
    hub.tick()
    [raw] = subscriber.take_waiting()
    assert [c["data"]["incident"]["state"] for c in changes(raw)] == ["in_progress"]
    assert next(i for i in snapshot(hub)["incidents"] if i["id"] == "low")["state"] == "in_progress"


def test_the_sites_filter_applies_to_incidents_and_those_without_a_site_pass_it(hub: LiveHub) -> None:
    hub.apply_incident_change(change(incident("far", site="site-2"), IncidentChangeKind.OPENED))
    hub.apply_incident_change(change(incident("nowhere", site=None), IncidentChangeKind.OPENED))
    hub.tick()
    assert {i["id"] for i in snapshot(hub, ["site-2"])["incidents"]} == {"far", "nowhere"}
    assert "far" not in {i["id"] for i in snapshot(hub, ["site-1"])["incidents"]}

    site_1 = hub.connect(TENANT, None, ["site-1"]).subscriber
    hub.apply_incident_change(
        change(lifecycle.transition(incident("far", site="site-2"), IncidentState.ON_HOLD, T0 + 1))
    )
    hub.apply_incident_change(
        change(lifecycle.transition(incident("low", Priority.LOW), IncidentState.ON_HOLD, T0 + 1))
    )
    hub.tick()
    [raw] = site_1.take_waiting()
    assert [c["data"]["incident"]["id"] for c in changes(raw)] == ["low"]


def test_another_tenants_incident_changes_reach_only_its_own_clients(hub: LiveHub) -> None:
    ours = hub.connect(TENANT, None, None).subscriber
    theirs = hub.connect("other-city", None, None).subscriber
    hub.apply_incident_change(
        change(lifecycle.transition(incident("elsewhere", tenant="other-city"), IncidentState.ON_HOLD, T0 + 1))
    )
    hub.tick()
    assert ours.waiting == 0
    [raw] = theirs.take_waiting()
    assert [c["data"]["incident"]["tenant_id"] for c in changes(raw)] == ["other-city"]
