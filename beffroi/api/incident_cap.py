"""Incidents exported as CAP 1.2 alerts, with the series of messages sent for each kept in the store.

The next message of an incident renders its current state (its facts: type, title, priority, state, disposition,
zone polygon or site circle) as the next revision of its series: an Alert first, then Updates, a Cancel once it is
resolved or closed (after which the series takes no more). Sending records the message (its identity and the facts
it was built from), so a past revision is rebuilt exactly. Every message is written by the CAP writer (CAP rules)
and checked against the OASIS CAP 1.2 schema before it leaves; one that fails is a bug in the mapping: it raises
CapExportFailed and is never recorded.

The calls are blocking (the store): run them in a thread from async code. Used by the API's CAP routes and by the
webhook worker, so both extend one series.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from beffroi.api.errors import Conflict
from beffroi.domain.incidents import IncidentRecord
from beffroi.domain.records import AuditEntry
from beffroi.domain.registry import Site, Zone
from beffroi.errors import BeffroiError, NotFound, RejectedInput
from beffroi.exports.cap.errors import CapRejected
from beffroi.exports.cap.incident_mapping import CapExportSettings, IncidentFacts, incident_alert
from beffroi.exports.cap.model import CapAlertDraft, MsgType, Reference
from beffroi.exports.cap.revisions import CapSeries, SentMessage
from beffroi.exports.cap.validate import require_valid_cap
from beffroi.exports.cap.writer import write_cap
from beffroi.store.cap_messages import CapMessageRecord
from beffroi.store.store import Store

log = logging.getLogger("beffroi.api.cap")

SITE_RADIUS_M = 250.0
"""The radius of the circle around a site's position that places an incident with a site but no zone polygon."""
_VOLATILE_FACTS = ("revision", "updated_at")
"""What changes between two messages of an incident even when nothing worth telling did."""


class CapExport(msgspec.Struct, frozen=True):
    """One CAP message of an incident: its revision, identity, XML (valid CAP 1.2), and whether it is recorded as
    sent (False: a preview of the next revision)."""

    incident_id: str
    revision: int
    identifier: str
    msg_type: str
    xml: bytes
    recorded: bool


class CapExportFailed(BeffroiError):
    """An export that breaks a CAP rule or the OASIS schema: a bug in the mapping; nothing was sent or recorded.
    `reason` is machine-readable, `detail` names the problems."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}")


def facts_of(record: IncidentRecord, revision: int, site: Site | None, zone: Zone | None) -> IncidentFacts:
    """What the CAP message of `revision` says of the incident: its zone's polygon when it has one, else a circle
    of SITE_RADIUS_M around its site; the description counts its alarms and names their types."""
    incident = record.incident
    types = sorted({item.alarm.key.type for item in record.alarms})
    count = len(record.alarms)
    description = f"{count} alarm{'s' if count != 1 else ''}: {', '.join(types)}" if count else ""
    polygon = zone.polygon if zone is not None and zone.polygon else None
    point = site.position if polygon is None and site is not None else None
    return IncidentFacts(
        id=incident.id,
        tenant_id=incident.tenant_id,
        type=incident.type,
        title=incident.title,
        priority=int(incident.priority),
        state=incident.state.value,
        opened_at=incident.opened_at,
        updated_at=incident.updated_at,
        revision=revision,
        description=description,
        site_id=incident.site_id,
        site_name=site.name if site is not None else None,
        zone_id=incident.zone_id,
        zone_name=zone.name if zone is not None else None,
        polygon=polygon,
        point=point,
        radius_m=SITE_RADIUS_M if point is not None else None,
        disposition=incident.disposition.value if incident.disposition is not None else None,
    )


def facts_json(facts: IncidentFacts) -> dict[str, Any]:
    """The facts as the JSON object they are recorded as (tuples become lists)."""
    document: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(facts))
    return document


def same_news(facts: IncidentFacts, recorded: dict[str, Any]) -> bool:
    """True when `facts` tell what the recorded message's facts told (revision and update time aside)."""
    current = facts_json(facts)
    return all(current.get(key) == recorded.get(key) for key in {*current, *recorded} - set(_VOLATILE_FACTS))


class IncidentCapExporter:
    """Renders, records and rebuilds the CAP messages of the store's incidents with one deployment's settings."""

    def __init__(self, store: Store, settings: CapExportSettings, *, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self.settings = settings
        self._clock = clock
        self._zone = ZoneInfo(settings.timezone)

    def preview(self, tenant_id: str, incident_id: str) -> CapExport:
        """The incident's current state as the next revision, not recorded. NotFound without such incident;
        InvalidTransition once a Cancel was sent."""
        records = self._store.cap_messages(tenant_id, incident_id)
        facts = self._current_facts(tenant_id, incident_id, len(records))
        draft, xml = self._render(facts, self._series(tenant_id, incident_id, records), self.settings)
        return _export(facts, draft, xml, recorded=False)

    def send(self, tenant_id: str, incident_id: str, *, actor: str, only_if_changed: bool = False) -> CapExport | None:
        """Record the incident's current state as the next revision (audited as `incident.cap_sent` by `actor`) and
        return it. With `only_if_changed`, None instead when the last message told the same or the series is
        cancelled. Conflict (`cap_revision_taken`) when another process recorded that revision first."""
        records = self._store.cap_messages(tenant_id, incident_id)
        facts = self._current_facts(tenant_id, incident_id, len(records))
        series = self._series(tenant_id, incident_id, records)
        if only_if_changed and (series.cancelled or (records and same_news(facts, records[-1].facts))):
            return None
        draft, xml = self._render(facts, series, self.settings)
        row = CapMessageRecord(
            tenant_id=tenant_id,
            incident_id=incident_id,
            revision=facts.revision,
            identifier=draft.identifier,
            sender=draft.sender,
            sent=draft.sent.timestamp(),
            msg_type=draft.msg_type.value,
            facts=facts_json(facts),
            recorded_at=self._clock(),
        )
        entry = AuditEntry(
            id=uuid.uuid4().hex,
            ts=row.recorded_at,
            tenant_id=tenant_id,
            actor=actor,
            action="incident.cap_sent",
            target_type="incident",
            target_id=incident_id,
            details={"revision": row.revision, "identifier": row.identifier, "msg_type": row.msg_type},
        )
        if not self._store.record_cap_message(row, [entry]):
            raise Conflict(
                "cap_revision_taken",
                f"revision {row.revision} of incident {incident_id!r} was just recorded by someone else; try again",
            )
        return _export(facts, draft, xml, recorded=True)

    def revision(self, tenant_id: str, incident_id: str, revision: int) -> CapExport:
        """Revision `revision` as it was sent, rebuilt from the recorded series; NotFound when the incident (of this
        tenant) has no such revision."""
        records = self._store.cap_messages(tenant_id, incident_id)
        if not 0 <= revision < len(records):
            self._store.get_incident(tenant_id, incident_id)  # NotFound for an unknown incident first
            raise NotFound(
                f"incident {incident_id!r} has no CAP revision {revision} ({len(records)} sent: revisions 0 to "
                f"{len(records) - 1})"
                if records
                else f"incident {incident_id!r} has no CAP message sent yet"
            )
        record = records[revision]
        try:
            facts = msgspec.convert(record.facts, IncidentFacts)
        except msgspec.ValidationError as error:
            raise CapExportFailed("cap_record_unreadable", f"revision {revision}: {error}") from None
        settings = msgspec.structs.replace(self.settings, sender=record.sender)
        draft, xml = self._render(facts, self._series(tenant_id, incident_id, records), settings)
        if (draft.identifier, draft.msg_type.value) != (record.identifier, record.msg_type):
            raise CapExportFailed(
                "cap_rebuild_mismatch",
                f"revision {revision} rebuilt as {draft.msg_type.value} {draft.identifier}, "
                f"sent as {record.msg_type} {record.identifier}",
            )
        return _export(facts, draft, xml, recorded=True)

    def _current_facts(self, tenant_id: str, incident_id: str, revision: int) -> IncidentFacts:
        record = self._store.get_incident_record(tenant_id, incident_id)
        site_id, zone_id = record.incident.site_id, record.incident.zone_id
        site = next((s for s in self._store.list_sites(tenant_id) if s.id == site_id), None) if site_id else None
        zone = None
        if zone_id:
            zone = next((z for z in self._store.list_zones(tenant_id, site_id) if z.id == zone_id), None)
        return facts_of(record, revision, site, zone)

    def _series(self, tenant_id: str, incident_id: str, records: list[CapMessageRecord]) -> CapSeries:
        sent = [
            SentMessage(
                Reference(r.sender, r.identifier, datetime.fromtimestamp(r.sent, UTC).astimezone(self._zone)),
                MsgType(r.msg_type),
            )
            for r in records
        ]
        return CapSeries(tenant_id, incident_id, sent)

    @staticmethod
    def _render(facts: IncidentFacts, series: CapSeries, settings: CapExportSettings) -> tuple[CapAlertDraft, bytes]:
        """The draft and its XML, checked against the CAP rules and the schema; CapExportFailed otherwise."""
        try:
            draft = incident_alert(facts, series, settings)
            xml = write_cap(draft)
            require_valid_cap(xml)
        except CapRejected as rejected:
            log.error("CAP export of incident %s revision %d is invalid: %s", facts.id, facts.revision, rejected)
            raise CapExportFailed("cap_export_invalid", rejected.detail) from None
        except RejectedInput as rejected:  # facts or settings the mapping refuses (not a request's fault)
            if rejected.reason.startswith("cap_revision"):
                raise
            log.error("CAP export of incident %s refused: %s", facts.id, rejected)
            raise CapExportFailed("cap_export_invalid", rejected.detail) from None
        return draft, xml


def _export(facts: IncidentFacts, draft: CapAlertDraft, xml: bytes, *, recorded: bool) -> CapExport:
    return CapExport(facts.id, facts.revision, draft.identifier, draft.msg_type.value, xml, recorded)
