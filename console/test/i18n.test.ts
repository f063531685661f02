import { afterEach, describe, expect, it } from "vitest";
import { formatAge, humanise, label, language, setLanguage, t } from "../src/i18n";
import { en } from "../src/i18n/en";
import { fr } from "../src/i18n/fr";

afterEach(() => setLanguage("fr"));

describe("dictionaries", () => {
  it("have the same keys in French and English", () => {
    expect(Object.keys(fr).sort()).toEqual(Object.keys(en).sort());
  });

  it("have no empty sentence and the same placeholders in both languages", () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(en[key].trim(), key).not.toBe("");
      expect(fr[key].trim(), key).not.toBe("");
      expect(placeholders(fr[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it("translate every device kind, zone kind, alarm state and health the server sends", () => {
    const deviceKinds = [
      "people_counter",
      "turnstile",
      "access_control",
      "intrusion_pir",
      "perimeter_fence",
      "smoke_heat",
      "air_quality",
      "noise_level",
      "temperature",
      "panic_button",
      "camera",
      "gps_tracker",
      "drone_detector",
    ];
    const zoneKinds = ["gate", "stand", "concourse", "field", "fan_zone", "plaza", "platform", "perimeter", "forbidden", "technical", "parking", "water"];
    const states = ["unacknowledged", "acknowledged", "rtn_unacknowledged", "shelved", "suppressed", "out_of_service", "cleared"];
    const keys = new Set(Object.keys(en));
    for (const kind of deviceKinds) expect(keys.has(`deviceKind.${kind}`), kind).toBe(true);
    for (const kind of zoneKinds) expect(keys.has(`zoneKind.${kind}`), kind).toBe(true);
    for (const state of states) expect(keys.has(`alarmState.${state}`), state).toBe(true);
    for (const health of ["ok", "silent", "low_battery", "in_alarm"]) expect(keys.has(`health.${health}`), health).toBe(true);
  });

  it("translate every incident state, timeline kind, disposition, step status and default incident type", () => {
    const keys = new Set(Object.keys(en));
    const groups: Record<string, string[]> = {
      incidentState: ["new", "in_progress", "on_hold", "resolved", "closed"],
      timelineKind: [
        "opened",
        "alarm_joined",
        "alarm_changed",
        "reclassified",
        "related",
        "assigned",
        "state_changed",
        "disposition_set",
        "note",
        "procedure_attached",
        "step_completed",
        "step_skipped",
        "supervisor_notified",
        "escalated",
      ],
      disposition: ["true", "false", "duplicate"],
      stepStatus: ["pending", "done", "skipped"],
      incidentType: ["generic", "fire", "break_in", "overcrowding", "device_fault"],
      evidenceKind: ["alarm", "event", "link"],
      rateGrouping: ["alarm_type", "source", "rule", "incident_type"],
    };
    for (const [group, values] of Object.entries(groups)) {
      for (const value of values) expect(keys.has(`${group}.${value}`), `${group}.${value}`).toBe(true);
    }
  });
});

describe("translation", () => {
  it("switches language and fills placeholders", () => {
    setLanguage("en");
    expect(language()).toBe("en");
    expect(t("action.failed", { action: "Acknowledge", detail: "conflict" })).toBe("Acknowledge failed: conflict");
    setLanguage("fr");
    expect(t("action.acknowledge")).toBe("Acquitter");
  });

  it("labels server values, falling back to the raw value made readable", () => {
    setLanguage("en");
    expect(label("alarmType", "device_offline")).toBe("Device offline");
    expect(label("alarmType", "gas_leak_detected")).toBe("Gas leak detected");
    setLanguage("fr");
    expect(label("alarmType", "device_offline")).toBe("Équipement muet");
    expect(label("zoneKind", "stand")).toBe("Tribune");
    expect(humanise("a_b")).toBe("A b");
  });

  it("formats ages in the largest whole unit", () => {
    setLanguage("en");
    expect(formatAge(100, 142)).toBe("42 s");
    expect(formatAge(0, 185)).toBe("3 min");
    expect(formatAge(0, 7300)).toBe("2 h");
    expect(formatAge(0, 90_000)).toBe("1 d");
    expect(formatAge(200, 100)).toBe("0 s"); // a clock slightly behind the server's
    setLanguage("fr");
    expect(formatAge(0, 90_000)).toBe("1 j");
  });
});
