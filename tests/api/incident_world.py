"""The incidents of the API test world: in city-a, an open one holding two of the square's alarms, a resolved one
and a closed one; in city-b, an open one with the same shape. Built with the domain's own functions and saved
through the store, with fixed ids the route table can name."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from beffroi.domain import incidents as lifecycle
from beffroi.domain.alarms import Alarm, Priority
from beffroi.domain.incidents import (
    Disposition,
    Evidence,
    EvidenceKind,
    IncidentAlarm,
    IncidentState,
    TimelineEntry,
    TimelineKind,
)
from beffroi.domain.messages import IncidentChange, IncidentChangeKind
from beffroi.domain.procedures import ProcedureRun
from beffroi.engine.procedures import attach, complete_step, load_procedures
from beffroi.store.store import Store
from tests.api.world import SITE, T0, TENANT_A, TENANT_B, ZONE

OPEN_A, RESOLVED_A, CLOSED_A, OPEN_B = "inc-a-open", "inc-a-resolved", "inc-a-closed", "inc-b-open"
OPEN_A_ALARMS = ("a-low-old", "a-critical")


def fill_incidents(store: Store) -> None:
    """Save the incidents of both tenants (the world's alarms must be saved already)."""
    alarms = {a.id: a for tenant in (TENANT_A, TENANT_B) for a in store.query_alarms(tenant)}
    generic = load_procedures().for_type("generic")
    assert generic is not None
    changes = [
        _incident(TENANT_A, OPEN_A, [alarms[i] for i in OPEN_A_ALARMS], attach(generic, TENANT_A, OPEN_A, T0)),
        _incident(TENANT_B, OPEN_B, [alarms["b-critical"]], attach(generic, TENANT_B, OPEN_B, T0)),
    ]
    worked = complete_step(
        attach(generic, TENANT_A, RESOLVED_A, T0), "assess", "operator", T0 + 60, choice="false_alarm"
    )
    worked = complete_step(worked, "record", "operator", T0 + 90, note="a bird")
    changes.append(
        _incident(
            TENANT_A,
            RESOLVED_A,
            [alarms["a-low-new"]],
            worked,
            state=IncidentState.RESOLVED,
            disposition=Disposition.FALSE,
        )
    )
    changes.append(
        _incident(TENANT_A, CLOSED_A, [], None, state=IncidentState.CLOSED, disposition=Disposition.TRUE, zone=None)
    )
    store.save_incident_changes(changes)


def _incident(
    tenant: str,
    incident_id: str,
    alarms: Sequence[Alarm],
    run: ProcedureRun | None,
    *,
    state: IncidentState = IncidentState.NEW,
    disposition: Disposition | None = None,
    zone: str | None = ZONE,
) -> IncidentChange:
    incident = lifecycle.open_incident(
        incident_id,
        tenant,
        type="generic",
        title=f"Incident {incident_id}",
        priority=Priority.LOW,
        rule="default",
        ts=T0,
        site_id=SITE,
        zone_id=zone,
        desk="operators",
    )
    for item in alarms:
        incident = lifecycle.join(incident, item)
    incident = msgspec.structs.replace(
        incident, state=state, disposition=disposition, procedure=run.procedure if run else None
    )
    timeline = [TimelineEntry(f"{incident_id}-t0", tenant, incident_id, T0, "engine", TimelineKind.OPENED, "Opened")]
    timeline += [
        TimelineEntry(
            f"{incident_id}-t1-{a.id}",
            tenant,
            incident_id,
            a.raised_at,
            "engine",
            TimelineKind.ALARM_JOINED,
            f"Alarm {a.id} joined",
            {"alarm_id": a.id},
        )
        for a in alarms
    ]
    evidence = [
        Evidence(f"{incident_id}-e-{a.id}", tenant, incident_id, EvidenceKind.ALARM, a.id, a.raised_at, "engine")
        for a in alarms
    ]
    return IncidentChange(
        IncidentChangeKind.OPENED,
        incident,
        timeline=tuple(timeline),
        alarms=tuple(IncidentAlarm(incident_id, a.raised_at, a) for a in alarms),
        evidence=tuple(evidence),
        procedure=run,
    )
