/**
 * The shapes the console reads from the API (beffroi/api/schemas.py) and the live stream (docs/live-stream.md).
 * Field names are the server's, unchanged.
 */

export type LonLat = [number, number];

export type Role = "viewer" | "operator" | "supervisor" | "admin";

export type Language = "fr" | "en";

export interface ConsoleConfig {
  basemap_style_url: string | null;
  default_language: Language;
  default_tenant: string | null;
  heartbeat_s: number;
}

export interface TokenOut {
  access_token: string;
  token_type: string;
  expires_at: number;
  tenant: string;
  username: string;
  role: string;
}

export interface SiteOut {
  id: string;
  tenant_id: string;
  name: string;
  kind: string;
  position: LonLat;
  city: string;
}

export interface ZoneOut {
  id: string;
  tenant_id: string;
  site_id: string;
  name: string;
  kind: string;
  polygon: LonLat[][];
  area_m2: number;
  capacity: number;
  /** The walkway width (m) of a gate or corridor, when known: Fruin levels of service. */
  width_m?: number | null;
}

export interface DeviceOut {
  id: string;
  tenant_id: string;
  site_id: string;
  kind: string;
  position: LonLat;
  interval_s: number;
  metrics: string[];
  zone_id: string | null;
  model: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface ReadingOut {
  tenant_id: string;
  device_id: string;
  metric: string;
  value: number;
  ts: number;
  site_id: string | null;
  zone_id: string | null;
  position: LonLat | null;
}

export type AlarmState =
  | "unacknowledged"
  | "acknowledged"
  | "rtn_unacknowledged"
  | "shelved"
  | "suppressed"
  | "out_of_service"
  | "cleared";

export interface AlarmKeyOut {
  tenant_id: string;
  source: string;
  type: string;
  site_id: string | null;
  zone_id: string | null;
}

export interface AlarmOut {
  id: string;
  key: AlarmKeyOut;
  state: AlarmState;
  priority: number;
  message: string;
  raised_at: number;
  updated_at: number;
  last_triggered_at: number;
  condition_active: boolean;
  trigger_count: number;
  value: number | null;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  cleared_at: number | null;
  cleared_by: string | null;
  shelved_until: number | null;
  state_reason: string | null;
}

export type AlarmChangeKind =
  | "raised"
  | "retriggered"
  | "returned_to_normal"
  | "acknowledged"
  | "shelved"
  | "unshelved"
  | "suppressed"
  | "out_of_service"
  | "returned_to_service"
  | "cleared";

export interface AlarmChangeOut {
  change: AlarmChangeKind;
  alarm: AlarmOut;
  actor: string;
}

export type AttributeValue = string | number | boolean | null;

export interface AuditEntryOut {
  id: string;
  ts: number;
  tenant_id: string;
  actor: string;
  action: string;
  target_type: string;
  target_id: string;
  details: Record<string, AttributeValue>;
}

export type Health = "ok" | "silent" | "low_battery" | "in_alarm";

export interface DeviceState {
  id: string;
  site_id: string;
  zone_id: string | null;
  health: Health;
  last_seen: number | null;
  battery_pct: number | null;
  alarms: number;
}

export type ZoneLevel = "normal" | "amber" | "red";

export interface ZoneState {
  id: string;
  site_id: string;
  count: number | null;
  density: number | null;
  level: ZoneLevel;
  alarms: number;
  updated_at: number;
}

/** One change of the live stream, in sequence order. */
export type Change =
  | { seq: number; kind: "alarm"; data: AlarmChangeOut }
  | { seq: number; kind: "device"; data: DeviceState }
  | { seq: number; kind: "zone"; data: ZoneState }
  | { seq: number; kind: "incident"; data: IncidentUpdateOut };

export interface LiveUser {
  subject: string;
  tenant_id: string;
  role: string;
}

export interface WelcomeFrame {
  type: "welcome";
  cursor: string;
  resumed: boolean;
  user?: LiveUser;
  heartbeat_s?: number;
}

export interface SnapshotFrame {
  type: "snapshot";
  cursor: string;
  alarms: AlarmOut[];
  devices: DeviceState[];
  zones: ZoneState[];
  /** Every open (not closed) incident, the most urgent then the newest opened first. */
  incidents: IncidentOut[];
}

export interface ChangesFrame {
  type: "changes";
  cursor: string;
  changes: Change[];
}

export interface HeartbeatFrame {
  type: "heartbeat";
  cursor: string;
  ts: number;
}

export type ServerFrame = WelcomeFrame | SnapshotFrame | ChangesFrame | HeartbeatFrame;

/* Incidents and supervision (beffroi/api/schemas_incidents.py). */

export type IncidentState = "new" | "in_progress" | "on_hold" | "resolved" | "closed";

export type Disposition = "true" | "false" | "duplicate";

export interface IncidentOut {
  id: string;
  tenant_id: string;
  type: string;
  title: string;
  priority: number;
  state: IncidentState;
  rule: string;
  opened_at: number;
  updated_at: number;
  first_alarm_at: number;
  last_alarm_at: number;
  site_id: string | null;
  zone_id: string | null;
  assignee: string | null;
  desk: string | null;
  disposition: Disposition | null;
  duplicate_of: string | null;
  escalation_level: number;
  escalated_at: number | null;
  resolved_at: number | null;
  closed_at: number | null;
  procedure: string | null;
  alarm_ids: string[];
}

export interface IncidentAlarmOut {
  incident_id: string;
  joined_at: number;
  alarm: AlarmOut;
}

export type TimelineKind =
  | "opened"
  | "alarm_joined"
  | "alarm_changed"
  | "reclassified"
  | "related"
  | "assigned"
  | "state_changed"
  | "disposition_set"
  | "note"
  | "procedure_attached"
  | "step_completed"
  | "step_skipped"
  | "supervisor_notified"
  | "escalated";

export interface TimelineEntryOut {
  id: string;
  tenant_id: string;
  incident_id: string;
  ts: number;
  actor: string;
  kind: TimelineKind;
  text: string;
  data: Record<string, AttributeValue>;
}

export type EvidenceKind = "alarm" | "event" | "link";

export interface EvidenceOut {
  id: string;
  tenant_id: string;
  incident_id: string;
  kind: EvidenceKind;
  ref: string;
  ts: number;
  added_by: string;
  note: string;
}

export interface StepChoiceOut {
  id: string;
  label: string;
  /** The step it leads to; "end" ends the procedure; "" the following step. */
  next: string;
}

export type StepStatus = "pending" | "done" | "skipped";

export interface StepOut {
  id: string;
  text: string;
  required: boolean;
  checklist: string[];
  choices: StepChoiceOut[];
  next: string;
  status: StepStatus;
  /** On the path the choices made so far lead along. */
  applicable: boolean;
  /** The first pending applicable step. */
  current: boolean;
  choice: string | null;
  checked: number[];
  actor: string | null;
  ts: number | null;
  justification: string;
  note: string;
}

export interface ProcedureOut {
  procedure: string;
  title: string;
  attached_at: number;
  complete: boolean;
  steps: StepOut[];
}

export interface IncidentDetailOut {
  incident: IncidentOut;
  alarms: IncidentAlarmOut[];
  timeline: TimelineEntryOut[];
  evidence: EvidenceOut[];
  procedure: ProcedureOut | null;
}

export type IncidentChangeKind =
  | "opened"
  | "alarm_joined"
  | "alarm_updated"
  | "reclassified"
  | "assigned"
  | "transitioned"
  | "disposition_set"
  | "note_added"
  | "step_completed"
  | "step_skipped"
  | "escalated";

/** The answer to an action on an incident (its procedure, when there, is the raw run, not the view). */
export interface IncidentChangeOut {
  change: IncidentChangeKind;
  incident: IncidentOut;
  actor: string;
  timeline: TimelineEntryOut[];
}

/** An incident's change on the live stream: its new summary, what happened and who did it (a closed incident is sent
 * once, then leaves the list). */
export interface IncidentUpdateOut {
  change: IncidentChangeKind;
  actor: string;
  incident: IncidentOut;
}

export type RateGrouping = "alarm_type" | "source" | "rule" | "incident_type";

export interface DispositionCountsOut {
  key: string;
  true: number;
  false: number;
  duplicate: number;
  undisposed: number;
  total: number;
  false_alarm_rate: number | null;
}

export interface FalseAlarmRatesOut {
  by: RateGrouping;
  since: number | null;
  site_id: string | null;
  rows: DispositionCountsOut[];
}

export interface DeskAlarmRateOut {
  desk: string;
  alarms_in_window: number;
  peak: number;
  flooding: boolean;
  floods: number;
}

export interface SiteAlarmRateOut {
  site_id: string;
  alarms_in_window: number;
  peak: number;
}

/** GET /api/supervision/alarm-rates: alarms raised in the sliding window, per operator desk and per site. */
export interface AlarmRatesOut {
  window_s: number;
  desks: DeskAlarmRateOut[];
  sites: SiteAlarmRateOut[];
}

/* Cameras and their events (beffroi/api/schemas_cameras.py, GET /api/events). */

export interface CameraOut {
  id: string;
  site_id: string | null;
  zone_id: string | null;
  position: LonLat | null;
  /** Where it looks, degrees clockwise from north. */
  heading_deg: number | null;
  fov_deg: number | null;
  range_m: number | null;
  /** Analysed by this server: it has a live view and a state. */
  analysed: boolean;
  detector: string | null;
  /** Analytic kind → its legal basis. */
  analytics: Record<string, string>;
  /** The source's state ("connecting", "online", "offline", "reconnecting", "ended"); null when not analysed. */
  state: string | null;
  reason: string | null;
  last_frame_at: number | null;
  frames_dropped: number;
  analysed_fps: number | null;
}

export interface EventOut {
  event_id: string;
  tenant_id: string;
  type: string;
  source: string;
  ts: number;
  site_id: string | null;
  zone_id: string | null;
  position: LonLat | null;
  confidence: number;
  attributes: Record<string, AttributeValue>;
}
