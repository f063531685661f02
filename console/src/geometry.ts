/**
 * Plane geometry on [lon, lat] points for the offline basemap: convex hulls, bounding boxes, centroids, and each
 * site's outline drawn around its zones.
 */

import type { LonLat, SiteOut, ZoneOut } from "./types";

export type Bounds = [west: number, south: number, east: number, north: number];

function cross(o: LonLat, a: LonLat, b: LonLat): number {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

/**
 * The convex hull of the points (Andrew's monotone chain), counter-clockwise, without repeating the first point.
 * Fewer than three distinct points give those points.
 */
export function convexHull(points: readonly LonLat[]): LonLat[] {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const unique: LonLat[] = [];
  for (const point of sorted) {
    const last = unique[unique.length - 1];
    if (last === undefined || last[0] !== point[0] || last[1] !== point[1]) unique.push(point);
  }
  if (unique.length < 3) return unique;
  const lower: LonLat[] = [];
  for (const point of unique) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, point) <= 0) lower.pop();
    lower.push(point);
  }
  const upper: LonLat[] = [];
  for (let i = unique.length - 1; i >= 0; i -= 1) {
    const point = unique[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, point) <= 0) upper.pop();
    upper.push(point);
  }
  lower.pop();
  upper.pop();
  return lower.concat(upper);
}

/** The bounding box of the points, or null for none. */
export function boundsOf(points: Iterable<LonLat>): Bounds | null {
  let west = Infinity;
  let south = Infinity;
  let east = -Infinity;
  let north = -Infinity;
  for (const [lon, lat] of points) {
    west = Math.min(west, lon);
    east = Math.max(east, lon);
    south = Math.min(south, lat);
    north = Math.max(north, lat);
  }
  return Number.isFinite(west) ? [west, south, east, north] : null;
}

/** The mean of a ring's vertices (the closing vertex not counted twice): a label point good enough for zones. */
export function ringCentre(ring: readonly LonLat[]): LonLat {
  const open = ring.length > 1 && sameLonLat(ring[0]!, ring[ring.length - 1]!) ? ring.slice(0, -1) : ring;
  if (open.length === 0) return [0, 0];
  let lon = 0;
  let lat = 0;
  for (const point of open) {
    lon += point[0];
    lat += point[1];
  }
  return [lon / open.length, lat / open.length];
}

function sameLonLat(a: LonLat, b: LonLat): boolean {
  return a[0] === b[0] && a[1] === b[1];
}

/** A closed GeoJSON ring from an open polygon. */
export function closeRing(points: readonly LonLat[]): LonLat[] {
  if (points.length === 0) return [];
  const first = points[0]!;
  const last = points[points.length - 1]!;
  return sameLonLat(first, last) ? [...points] : [...points, first];
}

/** The polygon pushed out from its centre by `metres` (an approximate buffer, enough for an outline). */
export function expandPolygon(points: readonly LonLat[], metres: number): LonLat[] {
  const centre = ringCentre(points);
  const metresPerDegreeLat = 111_320;
  const metresPerDegreeLon = metresPerDegreeLat * Math.max(0.01, Math.cos((centre[1] * Math.PI) / 180));
  return points.map(([lon, lat]) => {
    const dx = (lon - centre[0]) * metresPerDegreeLon;
    const dy = (lat - centre[1]) * metresPerDegreeLat;
    const distance = Math.hypot(dx, dy);
    if (distance === 0) return [lon, lat];
    const scale = (distance + metres) / distance;
    return [centre[0] + (dx * scale) / metresPerDegreeLon, centre[1] + (dy * scale) / metresPerDegreeLat];
  });
}

/** A small square around a point, `metres` from centre to side, for a site without zones. */
export function squareAround([lon, lat]: LonLat, metres: number): LonLat[] {
  const dLat = metres / 111_320;
  const dLon = metres / (111_320 * Math.max(0.01, Math.cos((lat * Math.PI) / 180)));
  return [
    [lon - dLon, lat - dLat],
    [lon + dLon, lat - dLat],
    [lon + dLon, lat + dLat],
    [lon - dLon, lat + dLat],
  ];
}

export const OUTLINE_MARGIN_M = 15;
const LONE_SITE_HALF_SIDE_M = 100;

/**
 * Each site's outline as a closed ring: the convex hull of its zones' vertices pushed out by a margin, or a square
 * around its position when it has no zones.
 */
export function siteOutlines(sites: readonly SiteOut[], zones: readonly ZoneOut[]): Map<string, LonLat[]> {
  const vertices = new Map<string, LonLat[]>();
  for (const zone of zones) {
    const held = vertices.get(zone.site_id) ?? [];
    for (const ring of zone.polygon.slice(0, 1)) held.push(...ring);
    vertices.set(zone.site_id, held);
  }
  const outlines = new Map<string, LonLat[]>();
  for (const site of sites) {
    const points = vertices.get(site.id) ?? [];
    const hull = convexHull(points);
    const polygon =
      hull.length >= 3 ? expandPolygon(hull, OUTLINE_MARGIN_M) : squareAround(site.position, LONE_SITE_HALF_SIDE_M);
    outlines.set(site.id, closeRing(polygon));
  }
  return outlines;
}

/** Great-circle distance in kilometres. */
export function distanceKm(a: LonLat, b: LonLat): number {
  const rad = Math.PI / 180;
  const dLat = (b[1] - a[1]) * rad;
  const dLon = (b[0] - a[0]) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * The box to open the map on: every position within `maxKm` of the positions' median, so that one far-away venue
 * (an overseas site) does not shrink all the others to a dot. Null for no positions.
 */
export function mainBounds(positions: readonly LonLat[], maxKm = 1500): Bounds | null {
  if (positions.length === 0) return null;
  const centre: LonLat = [median(positions.map((p) => p[0])), median(positions.map((p) => p[1]))];
  const near = positions.filter((position) => distanceKm(position, centre) <= maxKm);
  return boundsOf(near.length > 0 ? near : positions);
}
