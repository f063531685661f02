import { afterEach, describe, expect, it } from "vitest";
import {
  FULL_HEAT_DENSITY,
  HEAT_INTENSITY,
  RADIUS_PER_SPACING,
  heatRadius,
  heatWeight,
  insideRing,
  largest,
  latestSlots,
  levelOfService,
  metresPerPixel,
  mobileCountText,
  zoneHeatPoints,
} from "../src/crowd";
import type { MobileSlotOut, ZoneCrowdOut } from "../src/crowd-types";
import { setLanguage } from "../src/i18n";
import { ct } from "../src/i18n/crowd";
import { chartModel, niceStep } from "../src/ui/zone-chart";
import type { LonLat, ZoneOut } from "../src/types";

afterEach(() => setLanguage("fr"));

/** A square zone of `sideM` metres at Paris's latitude. */
function squareZone(sideM: number, holes: LonLat[][] = []): ZoneOut {
  const lat = 48.85;
  const dLat = sideM / 111_320;
  const dLon = sideM / (111_320 * Math.cos((lat * Math.PI) / 180));
  const ring: LonLat[] = [
    [2.3, lat],
    [2.3 + dLon, lat],
    [2.3 + dLon, lat + dLat],
    [2.3, lat + dLat],
    [2.3, lat],
  ];
  return { id: "z", tenant_id: "t", site_id: "s", name: "Z", kind: "plaza", polygon: [ring, ...holes], area_m2: sideM * sideM, capacity: 0 };
}

describe("heat points", () => {
  it("fill a zone on a 12 m grid, none outside it or in its holes", () => {
    const zone = squareZone(120);
    const { points, spacingM } = zoneHeatPoints(zone);
    expect(spacingM).toBe(12);
    expect(points.length).toBe(100);
    for (const point of points) expect(insideRing(point, zone.polygon[0]!)).toBe(true);
    const hole = squareZone(60).polygon[0]!;
    expect(zoneHeatPoints(squareZone(120, [hole])).points.length).toBe(75);
  });

  it("spread further apart in a large zone, and a tiny zone gets its centre", () => {
    const { points, spacingM } = zoneHeatPoints(squareZone(1000), 12, 400);
    expect(spacingM).toBeCloseTo(50, 5);
    expect(points.length).toBe(400);
    expect(zoneHeatPoints(squareZone(4)).points.length).toBe(1);
  });

  it("are weighted by density up to full heat at 5 p/m², and sum to that weight on the plateau", () => {
    expect(heatWeight(null)).toBe(0);
    expect(heatWeight(-1)).toBe(0);
    expect(heatWeight(2.5)).toBe(0.5);
    expect(heatWeight(FULL_HEAT_DENSITY * 2)).toBe(1);
    // the kernel of σ = radius / 3 summed over a grid of spacing s: 0.3989 × 2π(σ/s)² × intensity = 1
    const sigmaOverS = RADIUS_PER_SPACING / 3;
    expect(0.3989422804014327 * 2 * Math.PI * sigmaOverS ** 2 * HEAT_INTENSITY).toBeCloseTo(1, 6);
  });

  it("have a radius that doubles with each zoom level", () => {
    expect(metresPerPixel(0, 0)).toBeCloseTo(78_271.5, 0);
    expect(heatRadius(17, 48.85) / heatRadius(16, 48.85)).toBeCloseTo(2, 9);
  });
});

describe("levels of service", () => {
  it("come from the live zone state, none where no one is counted", () => {
    const state = { id: "z", site_id: "s", count: 10, density: 2.1, level: "amber" as const, alarms: 0, updated_at: 0 };
    expect(levelOfService(state)).toBe("amber");
    expect(levelOfService({ ...state, density: null })).toBe("none");
    expect(levelOfService(undefined)).toBe("none");
  });
});

function slot(operator: string, end: number, people: number | null): MobileSlotOut {
  const count = { people, fewer_than_k: people === null };
  return {
    slot_start: end - 900,
    slot_end: end,
    operator,
    market_share: 0.4,
    present: count,
    residents: count,
    visitors: count,
    day_visitors: count,
    origins: [],
    flows_in: [],
    flows_out: [],
  };
}

describe("mobile-network figures", () => {
  it("say a withheld count as fewer than k", () => {
    const fewer = (k: number) => ct("mobile.fewer", { k });
    expect(mobileCountText({ people: 1234, fewer_than_k: false }, 20, String, fewer)).toBe("1234");
    expect(mobileCountText({ people: null, fewer_than_k: true }, 20, String, fewer)).toBe("moins de 20");
    setLanguage("en");
    expect(mobileCountText({ people: null, fewer_than_k: true }, 15, String, fewer)).toBe("fewer than 15");
    expect(mobileCountText({ people: null, fewer_than_k: false }, 15, String, fewer)).toBe("—");
  });

  it("show each operator's newest slot, and the largest origins first", () => {
    const slots = [slot("orange", 1000, 5), slot("orange", 1900, 6), slot("sfr", 1000, null)];
    expect(latestSlots(slots).map((s) => [s.operator, s.slot_end])).toEqual([
      ["orange", 1900],
      ["sfr", 1000],
    ]);
    const origins = [
      { code: "75", people: 10 },
      { code: "93", people: 40 },
      { code: "GB", people: 25 },
    ];
    expect(largest(origins, 2).map((o) => o.code)).toEqual(["93", "GB"]);
  });
});

function picture(overrides: Partial<ZoneCrowdOut> = {}): ZoneCrowdOut {
  const history = [0, 1, 2].map((i) => ({ ts: 1000 + 600 * i, people: 100 + 50 * i, people_sd: 10, density: 0, level: 0 }));
  return {
    zone: { id: "z", site_id: "s", name: "Z", kind: "gate", area_m2: 100, capacity: 0 },
    thresholds: { posture: "moving", amber: 2, red: 4 },
    hours: 1,
    since: 1000,
    until: 2200,
    bucket_s: null,
    history,
    forecasts: [],
    source_history: [{ kind: "video", points: [{ ts: 2195, people: 210 }] }],
    latest: history[2]!,
    forecast: [
      { ts: 2200, minutes: 15, at: 3100, people: 260, low: 230, high: 300 },
      { ts: 2200, minutes: 30, at: 4000, people: 320, low: 260, high: 390 },
    ],
    sources: [],
    ...overrides,
  };
}

describe("the zone chart", () => {
  it("has nice ticks", () => {
    expect(niceStep(430)).toBe(200);
    expect(niceStep(4)).toBe(1);
    expect(niceStep(0)).toBe(0.5);
  });

  it("ends 30 minutes after the newest figure, with the forecast and its band ahead of now", () => {
    const model = chartModel(picture(), 440, 190)!;
    expect(model.t1).toBe(2200 + 1800);
    expect(model.forecast.split(" ")).toHaveLength(3);
    expect(model.forecastBand.split(" ")).toHaveLength(5);
    const [nowPoint, at15] = model.forecast.split(" ").map((p) => Number(p.split(",")[0]));
    expect(nowPoint).toBeCloseTo(model.nowX, 5);
    expect(at15!).toBeGreaterThan(model.nowX);
    // amber (200 people) and red (400) are within reach of the figures (up to 390): both drawn, red at the top
    expect(model.thresholds.map((t) => [t.kind, t.people])).toEqual([
      ["amber", 200],
      ["red", 400],
    ]);
    expect(model.yMax).toBeGreaterThanOrEqual(400);
    expect(model.sources.map((s) => s.kind)).toEqual(["video"]);
  });

  it("leaves off thresholds far above the figures, and draws nothing without a figure", () => {
    const far = chartModel(picture({ thresholds: { posture: "standing", amber: 30, red: 47 } }))!;
    expect(far.thresholds).toEqual([]);
    expect(far.yMax).toBeLessThan(1000);
    expect(chartModel(picture({ history: [], latest: null }))).toBeNull();
  });
});
