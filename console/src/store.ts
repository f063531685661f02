/**
 * The live state the console shows: open alarms, device health, zone counts and levels, open incidents. Filled from
 * the stream's snapshot and changes (and from the answers to the operator's own actions); views subscribe and batch
 * their updates themselves.
 */

import type {
  AlarmChangeOut,
  AlarmOut,
  Change,
  DeviceState,
  IncidentChangeOut,
  IncidentOut,
  SnapshotFrame,
  ZoneState,
} from "./types";

/** What changed in one application of a frame. */
export interface StoreUpdate {
  /** Everything was replaced (a snapshot). */
  reset: boolean;
  /** The open-alarm set or some alarm changed. */
  alarmsChanged: boolean;
  /** Alarms raised in this update (for the flash). */
  raised: AlarmOut[];
  deviceIds: string[];
  zoneIds: string[];
  /** The open-incident set or some incident changed. */
  incidentsChanged: boolean;
  /** The incidents a change was about (a view showing one of them in detail reloads it). */
  incidentIds: string[];
}

/** Whether the update may have changed what is known of this incident (a snapshot, or a change of it). */
export function touchesIncident(update: StoreUpdate, incidentId: string | null): boolean {
  return incidentId !== null && (update.reset || update.incidentIds.includes(incidentId));
}

function emptyUpdate(): StoreUpdate {
  return { reset: false, alarmsChanged: false, raised: [], deviceIds: [], zoneIds: [], incidentsChanged: false, incidentIds: [] };
}

export type StoreListener = (update: StoreUpdate) => void;

export class LiveStore {
  readonly alarms = new Map<string, AlarmOut>();
  readonly devices = new Map<string, DeviceState>();
  readonly zones = new Map<string, ZoneState>();
  /** Open incidents (every state but closed). */
  readonly incidents = new Map<string, IncidentOut>();
  private readonly listeners = new Set<StoreListener>();
  private newestDataTime = 0;

  /**
   * The newest time the data speaks of (readings' and alarms' own timestamps, epoch s). A replay or an accelerated
   * simulation runs ahead of the wall clock; ages are counted from the later of the two so they stay meaningful.
   */
  get dataTime(): number {
    return this.newestDataTime;
  }

  /** Call `listener` after every update; returns the unsubscribe function. */
  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Replace everything with the server's snapshot. */
  applySnapshot(frame: SnapshotFrame): void {
    this.alarms.clear();
    this.devices.clear();
    this.zones.clear();
    this.incidents.clear();
    this.newestDataTime = 0;
    for (const alarm of frame.alarms) {
      this.noteDataTime(alarm.last_triggered_at);
      if (alarm.state !== "cleared") this.alarms.set(alarm.id, alarm);
    }
    for (const device of frame.devices) {
      this.noteDataTime(device.last_seen);
      this.devices.set(device.id, device);
    }
    for (const zone of frame.zones) this.zones.set(zone.id, zone);
    for (const incident of frame.incidents ?? []) this.putIncident(incident);
    this.emit({
      reset: true,
      alarmsChanged: true,
      raised: [],
      deviceIds: [...this.devices.keys()],
      zoneIds: [...this.zones.keys()],
      incidentsChanged: true,
      incidentIds: [...this.incidents.keys()],
    });
  }

  /** Apply stream changes, in sequence order. */
  applyChanges(changes: Change[]): void {
    const update = emptyUpdate();
    for (const change of changes) {
      switch (change.kind) {
        case "alarm":
          this.noteDataTime(change.data.alarm.last_triggered_at);
          this.putAlarm(change.data.alarm);
          update.alarmsChanged = true;
          if (change.data.change === "raised" && change.data.alarm.state !== "cleared") {
            update.raised.push(change.data.alarm);
          }
          break;
        case "device":
          this.noteDataTime(change.data.last_seen);
          this.devices.set(change.data.id, change.data);
          update.deviceIds.push(change.data.id);
          break;
        case "zone":
          this.zones.set(change.data.id, change.data);
          update.zoneIds.push(change.data.id);
          break;
        case "incident":
          // Older than the answer to the operator's own action already applied: that answer stays.
          if ((this.incidents.get(change.data.incident.id)?.updated_at ?? -Infinity) <= change.data.incident.updated_at) {
            this.putIncident(change.data.incident);
          }
          update.incidentsChanged = true;
          update.incidentIds.push(change.data.incident.id);
          break;
      }
    }
    this.emit(update);
  }

  /**
   * The answer to the operator's own action, applied at once rather than waiting for the stream; ignored when the
   * store already holds a newer state of the alarm.
   */
  applyActionResult(result: AlarmChangeOut): void {
    const held = this.alarms.get(result.alarm.id);
    if (held === undefined) return; // already closed by a newer change
    if (held.updated_at > result.alarm.updated_at) return;
    this.putAlarm(result.alarm);
    this.emit({ ...emptyUpdate(), alarmsChanged: true });
  }

  /**
   * The answer to the operator's own action on an incident, applied at once rather than waiting for the stream;
   * ignored when the store holds a newer state of the incident, or no longer holds it (closed by a newer change: a
   * reopening arrives on the stream).
   */
  applyIncidentActionResult(result: IncidentChangeOut): void {
    const held = this.incidents.get(result.incident.id);
    if (held === undefined || held.updated_at > result.incident.updated_at) return;
    this.putIncident(result.incident);
    this.emit({ ...emptyUpdate(), incidentsChanged: true, incidentIds: [result.incident.id] });
  }

  private noteDataTime(ts: number | null): void {
    if (ts !== null && Number.isFinite(ts) && ts > this.newestDataTime) this.newestDataTime = ts;
  }

  private putAlarm(alarm: AlarmOut): void {
    if (alarm.state === "cleared") this.alarms.delete(alarm.id);
    else this.alarms.set(alarm.id, alarm);
  }

  /** Keep the incident, or forget it once closed. */
  private putIncident(incident: IncidentOut): void {
    if (incident.state === "closed") this.incidents.delete(incident.id);
    else this.incidents.set(incident.id, incident);
  }

  private emit(update: StoreUpdate): void {
    for (const listener of this.listeners) listener(update);
  }
}
