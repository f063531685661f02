/**
 * The crowd picture's logic, without the DOM or the map: where a zone's heat is spread (points inside its polygon),
 * how hot a density is, the heatmap's radius that keeps a zone's heat even at every zoom, a zone's level of
 * service from the live stream, and the mobile-network figures as the card words them (withheld ones as
 * "fewer than k").
 */

import type { MobileCount, MobileSlotOut } from "./crowd-types";
import type { LonLat, ZoneLevel, ZoneOut, ZoneState } from "./types";

/** The density (people per m²) drawn at full heat: past every red threshold (standing crowds: 4.7). */
export const FULL_HEAT_DENSITY = 5;
/** Heat points are spread this far apart (metres) inside a zone. */
export const HEAT_SPACING_M = 12;
/** At most this many heat points per zone (a large zone gets them further apart). */
export const MAX_POINTS_PER_ZONE = 400;
/**
 * The kernel radius as a multiple of the points' spacing: MapLibre's heatmap kernel is a Gaussian of σ = radius / 3,
 * so 2.4 spacings (σ = 0.8 spacing) sums to an even plateau inside the zone, fading at its edge.
 */
export const RADIUS_PER_SPACING = 2.4;
/**
 * The heatmap intensity that makes the plateau of points of weight w reach a heat of w: the kernel's peak is
 * 0.3989 × weight, and a grid of spacing s under a Gaussian of σ sums to 2πσ²/s² times the peak.
 */
export const HEAT_INTENSITY = 1 / (0.3989422804014327 * 2 * Math.PI * (RADIUS_PER_SPACING / 3) ** 2);

const METRES_PER_DEGREE = 111_320;

export interface HeatPoint {
  zoneId: string;
  position: LonLat;
}

/** Whether `point` is inside the closed ring (even-odd rule). */
export function insideRing([x, y]: LonLat, ring: readonly LonLat[]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * Points on a grid `spacingM` apart inside the zone's polygon (its holes left out), the grid widened when there would
 * be more than `maxPoints`; the ring's centre for a zone too small to hold one. The spacing actually used is returned
 * with them, so the heat can be weighted back to the common spacing.
 */
export function zoneHeatPoints(
  zone: ZoneOut,
  spacingM = HEAT_SPACING_M,
  maxPoints = MAX_POINTS_PER_ZONE,
): { points: LonLat[]; spacingM: number } {
  const [outer, ...holes] = zone.polygon;
  if (outer === undefined || outer.length < 3) return { points: [], spacingM };
  let west = Infinity;
  let south = Infinity;
  let east = -Infinity;
  let north = -Infinity;
  for (const [lon, lat] of outer) {
    west = Math.min(west, lon);
    east = Math.max(east, lon);
    south = Math.min(south, lat);
    north = Math.max(north, lat);
  }
  const latScale = METRES_PER_DEGREE;
  const lonScale = METRES_PER_DEGREE * Math.cos((((south + north) / 2) * Math.PI) / 180);
  const widthM = (east - west) * lonScale;
  const heightM = (north - south) * latScale;
  let spacing = spacingM;
  const area = Math.max(zone.area_m2, widthM * heightM * 0.25);
  if (area / (spacing * spacing) > maxPoints) spacing = Math.sqrt(area / maxPoints);
  const points: LonLat[] = [];
  for (let y = spacing / 2; y < heightM; y += spacing) {
    for (let x = spacing / 2; x < widthM; x += spacing) {
      const point: LonLat = [west + x / lonScale, south + y / latScale];
      if (insideRing(point, outer) && !holes.some((hole) => insideRing(point, hole))) points.push(point);
    }
  }
  if (points.length === 0) {
    const lon = outer.reduce((sum, [x]) => sum + x, 0) / outer.length;
    const lat = outer.reduce((sum, [, y]) => sum + y, 0) / outer.length;
    points.push([lon, lat]);
  }
  return { points, spacingM: spacing };
}

/** How hot a density is drawn: 0 for none, 1 from FULL_HEAT_DENSITY on. */
export function heatWeight(density: number | null | undefined): number {
  if (density === null || density === undefined || !Number.isFinite(density) || density <= 0) return 0;
  return Math.min(density / FULL_HEAT_DENSITY, 1);
}

/** Metres per screen pixel at zoom `zoom` and latitude `lat` (MapLibre's 512-pixel tiles). */
export function metresPerPixel(zoom: number, lat: number): number {
  return (40_075_016.686 * Math.cos((lat * Math.PI) / 180)) / (512 * 2 ** zoom);
}

/** The heatmap radius (pixels) at `zoom` for points `spacingM` apart at latitude `lat`. */
export function heatRadius(zoom: number, lat: number, spacingM = HEAT_SPACING_M): number {
  return (RADIUS_PER_SPACING * spacingM) / metresPerPixel(zoom, lat);
}

/** A zone's level of service on the map: its live level when people are counted in it, else none. */
export function levelOfService(state: ZoneState | undefined): ZoneLevel | "none" {
  if (state === undefined || state.density === null) return "none";
  return state.level;
}

/** A mobile-network count as the card says it: the number, "fewer than k" when withheld, "—" when unknown. */
export function mobileCountText(
  count: MobileCount,
  k: number,
  format: (value: number) => string,
  fewer: (k: number) => string,
): string {
  if (count.people !== null) return format(count.people);
  return count.fewer_than_k ? fewer(k) : "—";
}

/** The newest slot of each operator, newest first. */
export function latestSlots(slots: readonly MobileSlotOut[]): MobileSlotOut[] {
  const newest = new Map<string, MobileSlotOut>();
  for (const slot of slots) {
    const held = newest.get(slot.operator);
    if (held === undefined || slot.slot_end > held.slot_end) newest.set(slot.operator, slot);
  }
  return [...newest.values()].sort((a, b) => b.slot_end - a.slot_end);
}

/** The `n` largest entries, largest first. */
export function largest<T extends { people: number }>(items: readonly T[], n: number): T[] {
  return [...items].sort((a, b) => b.people - a.people).slice(0, n);
}
