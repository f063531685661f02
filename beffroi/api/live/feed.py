"""One tenant's live state: open alarms, devices, zones and open incidents, and the numbered changes that resume a
client.

Every change gets the tenant's next sequence number and is kept, encoded, as the latest change of its entity (an
alarm, a device, a zone or an incident) in `latest`, ordered by sequence number: resuming after `seq` sends the
entities changed since, newest state only, found by walking `latest` back from its end. Closed alarms and closed
incidents stay there for `closed_alarm_keep_s` and are then forgotten, as are devices and zones that leave the
registry; `purged_through` is the newest change so forgotten, and a cursor before it can no longer be resumed (the
client gets a snapshot).

Alarms count for a device (health) and a zone (level) while they are open and annunciated — not shelved, suppressed
or out of service. A device's alarms are those whose `key.source` is the device (every detector names the device
there); a zone's, those whose `key.zone_id` is the zone. A device_offline alarm makes its device `silent` while its
condition is active; once the device reports again it still counts, but no longer makes it silent.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable, Sequence

from beffroi.api.live.entities import BATTERY_METRIC, DeviceLive, ZoneLive, alarm_effect, whole_percent
from beffroi.api.live.frames import Change, ChangeKind, DeviceState, IncidentUpdate, Snapshot, ZoneState, encode
from beffroi.api.live.settings import LiveSettings
from beffroi.api.live.subscriber import Subscriber
from beffroi.domain.alarms import Alarm
from beffroi.domain.incidents import Incident, IncidentState
from beffroi.domain.messages import AlarmChange, IncidentChange
from beffroi.domain.observations import Reading
from beffroi.domain.registry import Device, DeviceKind, Zone


class Entry:
    """A change as kept and sent: its number, its entity's site (for the sites filter), its JSON."""

    __slots__ = ("raw", "seq", "site_id")

    def __init__(self, seq: int, site_id: str | None, raw: bytes) -> None:
        self.seq = seq
        self.site_id = site_id
        self.raw = raw


def visible(site_id: str | None, sites: frozenset[str] | None) -> bool:
    """Whether something of `site_id` passes a client's sites filter (what has no site passes every filter)."""
    return sites is None or site_id is None or site_id in sites


class TenantFeed:
    """The live state of one tenant and the changes made to it (see the module docstring)."""

    def __init__(self, tenant_id: str, settings: LiveSettings) -> None:
        self.tenant_id = tenant_id
        self._settings = settings
        self._low_battery = settings.low_battery_pct
        self.seq = 0
        self.purged_through = 0
        self.latest: OrderedDict[tuple[ChangeKind, str], Entry] = OrderedDict()
        self.pending: list[Entry] = []  # changes not handed to the subscribers yet
        self.devices: dict[str, DeviceLive] = {}
        self.zones: dict[str, ZoneLive] = {}
        self.alarms: dict[str, Alarm] = {}  # open alarms
        self._versions: dict[str, Alarm] = {}  # newest state of each open or recently closed alarm
        self.incidents: dict[str, Incident] = {}  # open (not closed) incidents
        self._incident_versions: dict[str, Incident] = {}  # newest state of each open or recently closed incident
        self._closed: deque[tuple[float, ChangeKind, str]] = deque()  # (closed at, alarm or incident, id), oldest first
        self.dirty_zones: set[ZoneLive] = set()
        self.subscribers: set[Subscriber] = set()
        self.unknown_devices = 0  # readings of devices not in the registry as last loaded

    # --- recording changes ----------------------------------------------------------------------------------------

    def _record(
        self,
        kind: ChangeKind,
        entity_id: str,
        site_id: str | None,
        data: AlarmChange | DeviceState | ZoneState | IncidentUpdate,
    ) -> None:
        self.seq = seq = self.seq + 1
        entry = Entry(seq, site_id, encode(Change(seq, kind, data)))
        key = (kind, entity_id)
        latest = self.latest
        latest[key] = entry
        latest.move_to_end(key)
        self.pending.append(entry)

    def _refresh_device(self, device: DeviceLive) -> None:
        """Send the device's state if its health, battery, alarm count or place changed (not a zone's crowd estimate:
        it is no device on the map, only its zone's count)."""
        if device.device.kind is DeviceKind.CROWD_ESTIMATE:
            return
        key = device.key(self._low_battery)
        if key != device.emitted:
            device.emitted = key
            self._record(ChangeKind.DEVICE, device.id, device.site_id, device.state(self._low_battery))

    def flush_zones(self, now: float) -> None:
        """Send the state of each zone touched since its last one, when that was at least `zone_interval_s` ago and
        its count, density, level or alarm count differs."""
        interval = self._settings.zone_interval_s
        for zone in [zone for zone in self.dirty_zones if now - zone.emitted_at >= interval]:
            self.dirty_zones.discard(zone)
            self._emit_zone(zone, now)

    def _emit_zone(self, zone: ZoneLive, now: float) -> None:
        key = zone.key()
        if zone.emitted is None or key != ZoneLive.key_of(zone.emitted):
            state = zone.state(key, now)
            zone.emitted = state
            zone.emitted_at = now
            self._record(ChangeKind.ZONE, zone.id, zone.site_id, state)

    # --- input ----------------------------------------------------------------------------------------------------

    def apply_readings(self, readings: Iterable[Reading]) -> None:
        """Newest reading time, battery and people counts; a device's change is recorded at once, a zone's is
        coalesced (`flush_zones`). Readings older than the device's newest of the same metric change nothing."""
        devices = self.devices
        dirty = self.dirty_zones
        for reading in readings:
            device = devices.get(reading.device_id)
            if device is None:
                self.unknown_devices += 1
                continue
            ts = reading.ts
            last_seen = device.last_seen
            if last_seen is None or ts > last_seen:
                device.last_seen = ts
            metric = reading.metric
            if metric == device.count_metric:
                if ts >= device.count_ts:
                    device.count_ts = ts
                    if reading.value != device.count_value:
                        device.count_value = reading.value
                        if device.zone is not None:
                            dirty.add(device.zone)
            elif metric == BATTERY_METRIC and ts >= device.battery_ts:
                device.battery_ts = ts
                percent = whole_percent(reading.value)
                if percent != device.battery_pct:
                    device.battery_pct = percent
                    self._refresh_device(device)

    def apply_alarm(self, change: AlarmChange, now: float) -> None:
        """Record an alarm change and its effect on its device and zone; a change older than the alarm's newest
        known state (a redelivery) is ignored."""
        alarm = change.alarm
        previous = self._versions.get(alarm.id)
        if previous is not None and alarm.updated_at < previous.updated_at:
            return
        self._versions[alarm.id] = alarm
        touched_devices: list[DeviceLive] = []
        if previous is not None:
            self._unindex(previous, touched_devices)
        if alarm.is_open:
            self.alarms[alarm.id] = alarm
            self._index(alarm, touched_devices)
        else:
            self.alarms.pop(alarm.id, None)
            self._closed.append((now, ChangeKind.ALARM, alarm.id))
        self._record(ChangeKind.ALARM, alarm.id, alarm.key.site_id, change)
        for device in touched_devices:
            self._refresh_device(device)

    def load_alarms(self, alarms: Iterable[Alarm], now: float) -> None:
        """Adopt the open alarms the store holds (at start): they count for their devices and zones, whose changes
        are recorded at once; no alarm change is (a client connecting later gets them in its snapshot)."""
        touched: list[DeviceLive] = []
        for alarm in alarms:
            if alarm.is_open and alarm.id not in self._versions:
                self._versions[alarm.id] = alarm
                self.alarms[alarm.id] = alarm
                self._index(alarm, touched)
        for device in touched:
            self._refresh_device(device)
        dirty, self.dirty_zones = self.dirty_zones, set()
        for zone in dirty:
            self._emit_zone(zone, now)

    def apply_incident(self, change: IncidentChange, now: float) -> None:
        """Record an incident's new summary; a closed incident is sent once and leaves the open incidents. A change
        older than the incident's newest known state (a redelivery) is ignored."""
        incident = change.incident
        previous = self._incident_versions.get(incident.id)
        if previous is not None and incident.updated_at < previous.updated_at:
            return
        self._incident_versions[incident.id] = incident
        if incident.state is IncidentState.CLOSED:
            self.incidents.pop(incident.id, None)
            self._closed.append((now, ChangeKind.INCIDENT, incident.id))
        else:
            self.incidents[incident.id] = incident
        update = IncidentUpdate(change.change, change.actor, incident)
        self._record(ChangeKind.INCIDENT, incident.id, incident.site_id, update)

    def load_incidents(self, incidents: Iterable[Incident]) -> None:
        """Adopt the open incidents the store holds (at start); no change is recorded (a client connecting later
        gets them in its snapshot)."""
        for incident in incidents:
            if incident.state is not IncidentState.CLOSED and incident.id not in self._incident_versions:
                self._incident_versions[incident.id] = incident
                self.incidents[incident.id] = incident

    def _index(self, alarm: Alarm, touched: list[DeviceLive]) -> None:
        if alarm.is_hidden:
            return
        key = alarm.key
        device = self.devices.get(key.source)
        if device is not None:
            device.alarms[alarm.id] = alarm_effect(alarm)
            touched.append(device)
        zone = self.zones.get(key.zone_id) if key.zone_id is not None else None
        if zone is not None:
            zone.alarms[alarm.id] = alarm.priority
            self.dirty_zones.add(zone)

    def _unindex(self, alarm: Alarm, touched: list[DeviceLive]) -> None:
        key = alarm.key
        device = self.devices.get(key.source)
        if device is not None and device.alarms.pop(alarm.id, None) is not None:
            touched.append(device)
        zone = self.zones.get(key.zone_id) if key.zone_id is not None else None
        if zone is not None and zone.alarms.pop(alarm.id, None) is not None:
            self.dirty_zones.add(zone)

    def replace_registry(self, zones: Sequence[Zone], devices: Sequence[Device], now: float) -> None:
        """Adopt the registry as loaded now: new devices and zones, and those whose place or area changed, are
        sent; what the readings said about devices still there is kept; those gone are forgotten."""
        old_devices, old_zones = self.devices, self.zones
        new_zones = {zone.id: ZoneLive(zone) for zone in zones}
        new_devices: dict[str, DeviceLive] = {}
        for device in devices:
            zone = new_zones.get(device.zone_id) if device.zone_id is not None else None
            live = DeviceLive(device, zone)
            previous = old_devices.get(device.id)
            if previous is not None:
                live.adopt(previous)
            if zone is not None:
                zone.add_device(live)
            new_devices[device.id] = live
        for zone_id, zone in new_zones.items():
            previous_zone = old_zones.get(zone_id)
            if previous_zone is not None:
                zone.emitted, zone.emitted_at = previous_zone.emitted, previous_zone.emitted_at
        self.devices, self.zones = new_devices, new_zones
        self.dirty_zones = set()
        for alarm in self.alarms.values():
            self._index(alarm, [])
        gone = [(ChangeKind.DEVICE, d) for d in old_devices if d not in new_devices]
        gone += [(ChangeKind.ZONE, z) for z in old_zones if z not in new_zones]
        if gone:  # the removal takes a number, and only a snapshot tells it: no cursor before it resumes
            for key in gone:
                self.latest.pop(key, None)
            self.seq += 1
            self.purged_through = self.seq
        for live in new_devices.values():
            self._refresh_device(live)
        for zone in new_zones.values():
            self._emit_zone(zone, now)

    # --- output ---------------------------------------------------------------------------------------------------

    def changes_since(self, seq: int, sites: frozenset[str] | None) -> list[bytes]:
        """The encoded latest change of every entity changed after `seq`, in sequence order, within `sites`."""
        found: list[bytes] = []
        for entry in reversed(self.latest.values()):
            if entry.seq <= seq:
                break
            if visible(entry.site_id, sites):
                found.append(entry.raw)
        found.reverse()
        return found

    def can_resume(self, seq: int) -> bool:
        """Whether every change after `seq` is still known."""
        return self.purged_through <= seq <= self.seq

    def snapshot(self, cursor: str, sites: frozenset[str] | None, now: float) -> Snapshot:
        """Every open alarm, the current state of every device and zone, and every open incident (the most urgent,
        then the newest opened first, as `GET /api/incidents`), within `sites` (a zone whose state has changed since
        it was last sent is shown as it is now; its change follows within `zone_interval_s`)."""
        low = self._low_battery
        incidents = [incident for incident in self.incidents.values() if visible(incident.site_id, sites)]
        incidents.sort(key=lambda incident: (incident.priority, -incident.opened_at, incident.id))
        return Snapshot(
            cursor=cursor,
            alarms=[alarm for alarm in self.alarms.values() if visible(alarm.key.site_id, sites)],
            devices=[
                device.state(low)
                for device in self.devices.values()
                if visible(device.site_id, sites) and device.device.kind is not DeviceKind.CROWD_ESTIMATE
            ],
            zones=[_current(zone, now) for zone in self.zones.values() if visible(zone.site_id, sites)],
            incidents=incidents,
        )

    def take_pending(self) -> list[Entry]:
        """The changes recorded since the last call."""
        pending = self.pending
        self.pending = []
        return pending

    def purge_closed(self, now: float) -> None:
        """Forget alarms and incidents closed more than `closed_alarm_keep_s` ago (unless open again since)."""
        cutoff = now - self._settings.closed_alarm_keep_s
        closed = self._closed
        while closed and closed[0][0] <= cutoff:
            _, kind, entity_id = closed.popleft()
            if kind is ChangeKind.ALARM:
                alarm = self._versions.get(entity_id)
                if alarm is None or alarm.is_open:
                    continue
                del self._versions[entity_id]
            else:
                incident = self._incident_versions.get(entity_id)
                if incident is None or incident.state is not IncidentState.CLOSED:
                    continue
                del self._incident_versions[entity_id]
            entry = self.latest.pop((kind, entity_id), None)
            if entry is not None:
                self.purged_through = max(self.purged_through, entry.seq)


def _current(zone: ZoneLive, now: float) -> ZoneState:
    """The zone's state now: the one last sent when nothing changed since."""
    key = zone.key()
    emitted = zone.emitted
    if emitted is not None and ZoneLive.key_of(emitted) == key:
        return emitted
    return zone.state(key, now)
