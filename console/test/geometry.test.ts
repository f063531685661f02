import { describe, expect, it } from "vitest";
import {
  boundsOf,
  closeRing,
  convexHull,
  distanceKm,
  expandPolygon,
  mainBounds,
  ringCentre,
  siteOutlines,
} from "../src/geometry";
import { dodge, placeLabels } from "../src/map/labels";
import { Registry } from "../src/registry";
import type { LonLat } from "../src/types";
import { alarm, device, site, zone } from "./fixtures";

function polygonContains(ring: LonLat[], [x, y]: LonLat): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

describe("convex hull", () => {
  it("keeps the corners and drops inner and collinear points", () => {
    const hull = convexHull([
      [0, 0],
      [2, 0],
      [1, 0],
      [2, 2],
      [0, 2],
      [1, 1],
      [0.5, 1.5],
      [2, 2],
    ]);
    expect(hull).toEqual([
      [0, 0],
      [2, 0],
      [2, 2],
      [0, 2],
    ]);
  });

  it("returns fewer than three distinct points as they are", () => {
    expect(
      convexHull([
        [1, 1],
        [1, 1],
      ]),
    ).toEqual([[1, 1]]);
    expect(convexHull([])).toEqual([]);
  });
});

describe("site outlines", () => {
  const zones = [
    zone("z1", "s1", [
      [2.35, 48.85],
      [2.351, 48.85],
      [2.351, 48.851],
      [2.35, 48.851],
      [2.35, 48.85],
    ]),
    zone("z2", "s1", [
      [2.352, 48.8505],
      [2.353, 48.8505],
      [2.353, 48.8515],
      [2.352, 48.8505],
    ]),
  ];

  it("draws a closed ring around every vertex of the site's zones", () => {
    const outlines = siteOutlines([site("s1")], zones);
    const ring = outlines.get("s1")!;
    expect(ring[0]).toEqual(ring[ring.length - 1]);
    for (const entry of zones) for (const point of entry.polygon[0]!) expect(polygonContains(ring, point)).toBe(true);
    const [west, south, east, north] = boundsOf(ring)!;
    // The margin is about 15 m, not kilometres.
    expect(west).toBeGreaterThan(2.349);
    expect(east).toBeLessThan(2.354);
    expect(south).toBeGreaterThan(48.849);
    expect(north).toBeLessThan(48.852);
  });

  it("puts a small square around a site without zones", () => {
    const ring = siteOutlines([site("lonely", [5, 45])], []).get("lonely")!;
    expect(ring).toHaveLength(5);
    expect(polygonContains(ring, [5, 45])).toBe(true);
    expect(distanceKm(ring[0]!, [5, 45])).toBeLessThan(0.2);
  });

  it("pushes a polygon outwards by about the given distance", () => {
    const square: LonLat[] = [
      [0, 0],
      [0.001, 0],
      [0.001, 0.001],
      [0, 0.001],
    ];
    const grown = expandPolygon(square, 100);
    const before = distanceKm(ringCentre(square), square[0]!);
    const after = distanceKm(ringCentre(grown), grown[0]!);
    expect((after - before) * 1000).toBeCloseTo(100, 0);
  });

  it("closes rings once", () => {
    expect(closeRing([[0, 0], [1, 0], [1, 1]])).toEqual([[0, 0], [1, 0], [1, 1], [0, 0]]);
    expect(closeRing([[0, 0], [1, 0], [0, 0]])).toEqual([[0, 0], [1, 0], [0, 0]]);
  });
});

describe("opening view", () => {
  it("leaves a far-away site out of the initial box", () => {
    const positions: LonLat[] = [
      [2.35, 48.85],
      [5.37, 43.3],
      [3.06, 50.63],
      [-149.25, -17.87], // Teahupo'o
    ];
    expect(mainBounds(positions)).toEqual([2.35, 43.3, 5.37, 50.63]);
    expect(mainBounds([])).toBeNull();
  });
});

describe("registry", () => {
  const registry = new Registry(
    [site("s1", [2.35, 48.85]), site("s2", [5, 45])],
    [zone("z1", "s1", [[2.35, 48.85], [2.352, 48.85], [2.352, 48.852], [2.35, 48.852], [2.35, 48.85]])],
    [device("d1", "s1", "z1", [2.351, 48.851])],
  );

  it("finds an alarm's site from its key, its zone or its device", () => {
    const key = { tenant_id: "t", source: "d1", type: "x", site_id: null, zone_id: null };
    expect(registry.siteOfAlarm(alarm({ id: "a", key: { ...key, site_id: "s2" } }))).toBe("s2");
    expect(registry.siteOfAlarm(alarm({ id: "a", key: { ...key, source: "engine", zone_id: "z1" } }))).toBe("s1");
    expect(registry.siteOfAlarm(alarm({ id: "a", key }))).toBe("s1");
    expect(registry.siteOfAlarm(alarm({ id: "a", key: { ...key, source: "unknown" } }))).toBeNull();
  });

  it("places an alarm at its device, else its zone's centre, else its site", () => {
    const key = { tenant_id: "t", source: "d1", type: "x", site_id: "s1", zone_id: "z1" };
    expect(registry.alarmPosition(alarm({ id: "a", key }))).toEqual([2.351, 48.851]);
    const centre = registry.alarmPosition(alarm({ id: "a", key: { ...key, source: "crowd" } }))!;
    expect(centre[0]).toBeCloseTo(2.351, 6);
    expect(centre[1]).toBeCloseTo(48.851, 6);
    expect(registry.alarmPosition(alarm({ id: "a", key: { ...key, source: "crowd", zone_id: null, site_id: "s2" } }))).toEqual([5, 45]);
  });
});

describe("site marker layout", () => {
  it("places the most important names first and hides the ones that would overlap", () => {
    const shown = placeLabels(
      [
        { id: "small", x: 100, y: 100, width: 80, height: 18, rank: 5 },
        { id: "in-alarm", x: 105, y: 104, width: 80, height: 18, rank: 1 },
        { id: "far", x: 400, y: 300, width: 80, height: 18, rank: 9 },
        { id: "off-screen", x: 2000, y: 300, width: 80, height: 18, rank: 0 },
      ],
      800,
      600,
    );
    expect([...shown].sort()).toEqual(["far", "in-alarm"]);
  });

  it("hides a name that would cover another marker", () => {
    const candidates = [
      { id: "a", x: 100, y: 100, width: 80, height: 18, rank: 1 },
      { id: "b", x: 150, y: 100, width: 80, height: 18, rank: 2 },
    ];
    expect([...placeLabels(candidates, 800, 600, 15)]).toEqual(["b"]);
  });

  it("moves overlapping markers apart, the most important keeping its place", () => {
    const points = Array.from({ length: 40 }, (_, index) => ({
      id: `s${index}`,
      x: 300 + (index % 3),
      y: 200 + (index % 2),
      rank: index,
    }));
    points.push({ id: "alone", x: 700, y: 500, rank: 99 });
    const offsets = dodge(points, 15);
    expect(offsets.get("s0")).toEqual([0, 0]);
    expect(offsets.get("alone")).toEqual([0, 0]);
    const placed = points.map((point) => {
      const [dx, dy] = offsets.get(point.id)!;
      return [point.x + dx, point.y + dy] as const;
    });
    for (let i = 0; i < placed.length; i += 1) {
      for (let j = i + 1; j < placed.length; j += 1) {
        const distance = Math.hypot(placed[i]![0] - placed[j]![0], placed[i]![1] - placed[j]![1]);
        expect(distance).toBeGreaterThanOrEqual(15 - 1e-9);
      }
    }
    // Packed tightly around the true place, not scattered.
    for (const [x, y] of placed.slice(0, 40)) expect(Math.hypot(x - 300, y - 200)).toBeLessThan(15 * 6);
  });
});

describe("site marker layout with badges", () => {
  it("gives a marker with a badge more room", () => {
    const offsets = dodge(
      [
        { id: "badge", x: 100, y: 100, rank: 0, radius: 13 },
        { id: "plain", x: 100, y: 100, rank: 1 },
      ],
      15,
    );
    const [dx, dy] = offsets.get("plain")!;
    expect(Math.hypot(dx, dy)).toBeGreaterThanOrEqual(13 + 7.5 - 1e-9);
    expect(offsets.get("badge")).toEqual([0, 0]);
  });
});
