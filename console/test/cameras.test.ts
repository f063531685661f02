import { afterEach, describe, expect, it } from "vitest";
import { alarmEventQuery, eventTypeOfAlarm, pickAlarmEvent } from "../src/camera-events";
import {
  CameraDirectory,
  cameraColour,
  fieldOfView,
  frameFreshness,
  offset,
  sortedAnalytics,
  STALE_AFTER_S,
} from "../src/cameras";
import { distanceKm } from "../src/geometry";
import { formatAge, setLanguage, t } from "../src/i18n";
import { en } from "../src/i18n/en";
import { fr } from "../src/i18n/fr";
import { cameraViewData } from "../src/map/camera-markers";
import type { CameraOut, EventOut, LonLat } from "../src/types";
import { alarm } from "./fixtures";

afterEach(() => setLanguage("fr"));

function camera(overrides: Partial<CameraOut> & { id: string }): CameraOut {
  return {
    site_id: "site-a",
    zone_id: null,
    position: [2.3469, 48.8189],
    heading_deg: 90,
    fov_deg: 70,
    range_m: 35,
    analysed: true,
    detector: "fallback",
    analytics: { forbidden_zone: "forbidden_zone", zone_count: "counting" },
    state: "online",
    reason: null,
    last_frame_at: 1000,
    frames_dropped: 0,
    analysed_fps: 5,
    ...overrides,
  };
}

/** Degrees clockwise from north, from `a` to `b`, on a local flat earth. */
function bearing([lon1, lat1]: LonLat, [lon2, lat2]: LonLat): number {
  const east = (lon2 - lon1) * Math.cos((lat1 * Math.PI) / 180);
  const north = lat2 - lat1;
  return ((Math.atan2(east, north) * 180) / Math.PI + 360) % 360;
}

describe("a camera's field of view", () => {
  it("is a closed sector from the camera: an arc at its range from heading − fov/2 to heading + fov/2", () => {
    const cam = camera({ id: "c", heading_deg: 90, fov_deg: 70, range_m: 35 });
    const ring = fieldOfView(cam, 5)!;
    expect(ring[0]).toEqual(cam.position);
    expect(ring[ring.length - 1]).toEqual(cam.position);
    const arc = ring.slice(1, -1);
    expect(arc).toHaveLength(15); // 70° in 14 steps of 5°, both ends included
    for (const point of arc) expect(distanceKm(cam.position!, point) * 1000).toBeCloseTo(35, 0);
    expect(bearing(cam.position!, arc[0]!)).toBeCloseTo(55, 1);
    expect(bearing(cam.position!, arc[7]!)).toBeCloseTo(90, 1);
    expect(bearing(cam.position!, arc[14]!)).toBeCloseTo(125, 1);
    // Looking east: every arc point is east of the camera, none north of its range.
    for (const point of arc) expect(point[0]).toBeGreaterThan(cam.position![0]);
  });

  it("crosses north without a jump (heading 350°, fov 40°)", () => {
    const cam = camera({ id: "c", heading_deg: 350, fov_deg: 40, range_m: 100 });
    const arc = fieldOfView(cam, 10)!.slice(1, -1);
    expect(bearing(cam.position!, arc[0]!)).toBeCloseTo(330, 1);
    expect(bearing(cam.position!, arc[arc.length - 1]!)).toBeCloseTo(10, 1);
    for (const point of arc) expect(point[1]).toBeGreaterThan(cam.position![1]);
  });

  it("is a circle around the camera for a 360° camera, and nothing without heading, field, range or position", () => {
    const ring = fieldOfView(camera({ id: "c", fov_deg: 360, range_m: 20 }), 10)!;
    expect(ring[0]).toEqual(ring[ring.length - 1]);
    expect(ring).toHaveLength(37);
    for (const point of ring) expect(distanceKm([2.3469, 48.8189], point) * 1000).toBeCloseTo(20, 0);
    expect(fieldOfView(camera({ id: "c", heading_deg: null }))).toBeNull();
    expect(fieldOfView(camera({ id: "c", fov_deg: null }))).toBeNull();
    expect(fieldOfView(camera({ id: "c", range_m: 0 }))).toBeNull();
    expect(fieldOfView(camera({ id: "c", position: null }))).toBeNull();
  });

  it("offsets a point by metres along a bearing", () => {
    const [lon, lat] = offset([2.35, 48.85], 0, 1000);
    expect(lon).toBeCloseTo(2.35, 9);
    expect(lat - 48.85).toBeCloseTo(1000 / 111_195, 6);
  });

  it("goes to the map for analysed cameras only, with their colour group", () => {
    const data = cameraViewData([
      camera({ id: "on" }),
      camera({ id: "off", state: "offline" }),
      camera({ id: "registry", analysed: false, state: null }),
      camera({ id: "blind", heading_deg: null }),
    ]);
    expect(data.features.map((feature) => [feature.properties.id, feature.properties.state])).toEqual([
      ["on", "online"],
      ["off", "offline"],
    ]);
    expect(data.features[0]!.geometry.coordinates[0]![0]).toEqual([2.3469, 48.8189]);
  });
});

describe("the live picture's age", () => {
  it("is live up to 5 s, stale after, offline whatever the picture when the camera says so, waiting before any", () => {
    expect(frameFreshness("online", 100, 100 + STALE_AFTER_S)).toBe("live");
    expect(frameFreshness("online", 100, 100 + STALE_AFTER_S + 0.5)).toBe("stale");
    expect(frameFreshness("reconnecting", 100, 101)).toBe("live");
    expect(frameFreshness("offline", 100, 101)).toBe("offline");
    expect(frameFreshness("ended", null, 101)).toBe("offline");
    expect(frameFreshness("connecting", null, 101)).toBe("waiting");
    expect(frameFreshness(null, Number.NaN, 101)).toBe("waiting");
  });

  it("reads 'il y a 2 s' in French and '2 s ago' in English, in minutes past a minute", () => {
    expect(t("camera.frameAge", { age: formatAge(100, 102.4) })).toBe("il y a 2 s");
    expect(t("camera.frameAge", { age: formatAge(100, 230) })).toBe("il y a 2 min");
    setLanguage("en");
    expect(t("camera.frameAge", { age: formatAge(100, 102.4) })).toBe("2 s ago");
    expect(t("camera.offline", { reason: "connection refused" })).toBe("Offline: connection refused");
  });

  it("colours cameras by state: online, offline (or ended), connecting (or reconnecting), unknown when not analysed", () => {
    expect(cameraColour(camera({ id: "c", state: "online" }))).toBe("online");
    expect(cameraColour(camera({ id: "c", state: "ended" }))).toBe("offline");
    expect(cameraColour(camera({ id: "c", state: "reconnecting" }))).toBe("connecting");
    expect(cameraColour(camera({ id: "c", state: null, analysed: false }))).toBe("unknown");
  });
});

describe("the camera directory", () => {
  it("changes its version only when the list changed, and lists a site's analysed cameras", () => {
    const directory = new CameraDirectory();
    const list = [camera({ id: "a" }), camera({ id: "b", analysed: false, state: null }), camera({ id: "c", site_id: "site-b" })];
    expect(directory.update(list)).toBe(true);
    expect(directory.update(structuredClone(list))).toBe(false);
    expect(directory.version).toBe(1);
    expect(directory.ofSite("site-a").map((cam) => cam.id)).toEqual(["a"]);
    expect(directory.update([camera({ id: "a", state: "offline" })])).toBe(true);
    expect(directory.get("a")?.state).toBe("offline");
    expect(directory.get("c")).toBeUndefined();
  });

  it("lists the decree's analytics first, then counting, then those outside the decree", () => {
    expect(
      sortedAnalytics({ zone_count: "counting", loitering: "outside_decree", wrong_way: "wrong_way", density: "excessive_density" }),
    ).toEqual([
      ["density", "excessive_density"],
      ["wrong_way", "wrong_way"],
      ["zone_count", "counting"],
      ["loitering", "outside_decree"],
    ]);
  });
});

function event(overrides: Partial<EventOut> & { event_id: string }): EventOut {
  return {
    tenant_id: "t",
    type: "camera_intrusion",
    source: "cam-1",
    ts: 1000,
    site_id: "site-a",
    zone_id: null,
    position: null,
    confidence: 0.8,
    attributes: { analytic: "forbidden_zone", camera: "cam-1", snapshot: overrides.event_id },
    ...overrides,
  };
}

describe("the picture of an alarm from a camera", () => {
  const raised = alarm({
    id: "a1",
    key: { tenant_id: "t", source: "cam-1", type: "camera_intrusion", site_id: "site-a", zone_id: null },
    raised_at: 900,
    last_triggered_at: 1000,
  });

  it("is the latest event of that camera and type at or before the alarm's last trigger", () => {
    const events = [
      event({ event_id: "later", ts: 1030 }), // after the trigger: a later event, not this trigger's
      event({ event_id: "other-track", ts: 1000.4 }), // another person entering a moment later
      event({ event_id: "other-camera", ts: 1000, source: "cam-2" }),
      event({ event_id: "other-type", ts: 1000, type: "person_down" }),
      event({ event_id: "no-picture", ts: 999.9, attributes: { camera: "cam-1" } }),
      event({ event_id: "trigger", ts: 1000 }),
      event({ event_id: "earlier", ts: 950 }),
    ];
    expect(pickAlarmEvent(events, raised)?.event_id).toBe("trigger");
    expect(pickAlarmEvent(events.slice(0, 5), raised)).toBeNull();
    expect(pickAlarmEvent([event({ event_id: "rounded", ts: 1000.0004 })], raised)?.event_id).toBe("rounded");
  });

  it("is asked for by source, type, site and time, and a fire alarm's is a fire start", () => {
    expect(alarmEventQuery(raised)).toEqual({
      type: "camera_intrusion",
      site_id: "site-a",
      source: "cam-1",
      until: 1000.001,
      limit: 200,
    });
    expect(eventTypeOfAlarm("fire_alarm")).toBe("fire_start");
    expect(eventTypeOfAlarm("person_down")).toBe("person_down");
    const fire = alarm({ id: "f", key: { ...raised.key, type: "fire_alarm", site_id: null }, last_triggered_at: 1000 });
    expect(alarmEventQuery(fire)).toEqual({ type: "fire_start", source: "cam-1", until: 1000.001, limit: 200 });
    expect(pickAlarmEvent([event({ event_id: "fire", type: "fire_start" })], fire)?.event_id).toBe("fire");
  });
});

describe("the cameras' words", () => {
  it("translate every analytic, legal basis, camera state and video alarm type in both languages", () => {
    const keys = [
      ...["forbidden_zone", "person_down", "abandoned_object", "density", "crowd_movement", "wrong_way", "fire_start", "weapon", "loitering", "zone_count", "line_crossing"].map(
        (kind) => `analytic.${kind}`,
      ),
      ...[
        "abandoned_object",
        "weapon",
        "wrong_way",
        "forbidden_zone",
        "person_on_ground",
        "crowd_movement",
        "excessive_density",
        "fire_start",
        "counting",
        "outside_decree",
      ].map((basis) => `legalBasis.${basis}`),
      ...["connecting", "online", "offline", "reconnecting", "ended", "unknown"].map((state) => `cameraState.${state}`),
      ...[
        "camera_intrusion",
        "person_down",
        "abandoned_object",
        "crowd_density",
        "crowd_movement",
        "wrong_way",
        "fire_start",
        "weapon",
        "loitering",
        "camera_offline",
      ].map((type) => `alarmType.${type}`),
      "detector.fallback",
      "detector.onnx_yolo",
    ];
    const english: Record<string, string> = en;
    const french: Record<string, string> = fr;
    for (const key of keys) {
      expect(english[key], key).toBeTruthy();
      expect(french[key], key).toBeTruthy();
    }
  });
});
