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
  | { seq: number; kind: "zone"; data: ZoneState };

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
