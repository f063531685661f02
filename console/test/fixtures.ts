/** Builders for the API shapes the tests use. */

import type { AlarmOut, DeviceOut, IncidentOut, SiteOut, StepOut, TimelineEntryOut, ZoneOut } from "../src/types";

export function alarm(overrides: Partial<AlarmOut> & { id: string }): AlarmOut {
  return {
    key: { tenant_id: "t", source: "dev-1", type: "smoke", site_id: "site-a", zone_id: null },
    state: "unacknowledged",
    priority: 2,
    message: "Smoke",
    raised_at: 1000,
    updated_at: 1000,
    last_triggered_at: 1000,
    condition_active: true,
    trigger_count: 1,
    value: null,
    acknowledged_at: null,
    acknowledged_by: null,
    cleared_at: null,
    cleared_by: null,
    shelved_until: null,
    state_reason: null,
    ...overrides,
  };
}

export function site(id: string, position: [number, number] = [2.35, 48.85]): SiteOut {
  return { id, tenant_id: "t", name: `Site ${id}`, kind: "stadium", position, city: "Paris" };
}

export function zone(id: string, siteId: string, ring: [number, number][]): ZoneOut {
  return {
    id,
    tenant_id: "t",
    site_id: siteId,
    name: `Zone ${id}`,
    kind: "stand",
    polygon: [ring],
    area_m2: 100,
    capacity: 50,
  };
}

export function device(id: string, siteId: string, zoneId: string | null, position: [number, number]): DeviceOut {
  return {
    id,
    tenant_id: "t",
    site_id: siteId,
    kind: "smoke_heat",
    position,
    interval_s: 60,
    metrics: ["temperature_c"],
    zone_id: zoneId,
    model: "",
  };
}

export function incident(overrides: Partial<IncidentOut> & { id: string }): IncidentOut {
  return {
    tenant_id: "t",
    type: "fire",
    title: "Fire",
    priority: 2,
    state: "new",
    rule: "default",
    opened_at: 1000,
    updated_at: 1000,
    first_alarm_at: 1000,
    last_alarm_at: 1000,
    site_id: "site-a",
    zone_id: null,
    assignee: null,
    desk: "main",
    disposition: null,
    duplicate_of: null,
    escalation_level: 0,
    escalated_at: null,
    resolved_at: null,
    closed_at: null,
    procedure: "fire",
    alarm_ids: ["a1"],
    ...overrides,
  };
}

export function step(overrides: Partial<StepOut> & { id: string }): StepOut {
  return {
    text: `Do ${overrides.id}`,
    required: true,
    checklist: [],
    choices: [],
    next: "",
    status: "pending",
    applicable: true,
    current: false,
    choice: null,
    checked: [],
    actor: null,
    ts: null,
    justification: "",
    note: "",
    ...overrides,
  };
}

export function timelineEntry(overrides: Partial<TimelineEntryOut> & { id: string }): TimelineEntryOut {
  return {
    tenant_id: "t",
    incident_id: "i1",
    ts: 1000,
    actor: "engine",
    kind: "note",
    text: "",
    data: {},
    ...overrides,
  };
}
