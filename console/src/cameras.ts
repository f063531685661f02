/**
 * The cameras as the console knows them (GET /api/cameras, reloaded now and then): lookups by id, the field of view
 * of each as a map polygon, how fresh its live picture is, and its analytics in a stable order. No DOM.
 */

import type { CameraOut, LonLat } from "./types";

/** A live picture older than this (seconds) is shown as stale. */
export const STALE_AFTER_S = 5;

/** Camera states in which no picture is coming. */
const DOWN_STATES = new Set(["offline", "ended"]);

/** How the live picture stands: fresh, late, the camera down, or no picture yet. */
export type Freshness = "live" | "stale" | "offline" | "waiting";

/** The cameras by id, replaced as a whole on each reload; `version` changes when anything did. */
export class CameraDirectory {
  private cameras = new Map<string, CameraOut>();
  private signature = "";
  private changes = 0;

  /** Take the server's list; true when something changed. */
  update(list: readonly CameraOut[]): boolean {
    const signature = JSON.stringify(list);
    if (signature === this.signature) return false;
    this.signature = signature;
    this.cameras = new Map(list.map((camera) => [camera.id, camera]));
    this.changes += 1;
    return true;
  }

  get version(): number {
    return this.changes;
  }

  get(id: string): CameraOut | undefined {
    return this.cameras.get(id);
  }

  all(): CameraOut[] {
    return [...this.cameras.values()];
  }

  /** The cameras this server analyses (with a live view), by id. */
  analysed(): CameraOut[] {
    return this.all().filter((camera) => camera.analysed);
  }

  /** The analysed cameras of a site. */
  ofSite(siteId: string): CameraOut[] {
    return this.analysed().filter((camera) => camera.site_id === siteId);
  }
}

/**
 * How fresh the live picture is: "offline" when the camera says so (whatever the picture), "waiting" before any
 * picture, "stale" when the picture is more than `STALE_AFTER_S` old at `nowS`, else "live".
 */
export function frameFreshness(state: string | null, frameAt: number | null, nowS: number): Freshness {
  if (state !== null && DOWN_STATES.has(state)) return "offline";
  if (frameAt === null || !Number.isFinite(frameAt)) return "waiting";
  return nowS - frameAt > STALE_AFTER_S ? "stale" : "live";
}

/** The colour group of a camera on the map: its state, or "unknown" for a camera not analysed here. */
export function cameraColour(camera: CameraOut): "online" | "offline" | "connecting" | "unknown" {
  if (camera.state === null) return "unknown";
  if (camera.state === "online") return "online";
  if (DOWN_STATES.has(camera.state)) return "offline";
  return "connecting";
}

/** The order analytics are listed in: the decree's event types first (by kind), then counting, then the others. */
export function sortedAnalytics(analytics: Record<string, string>): [kind: string, legalBasis: string][] {
  const rank = (basis: string) => (basis === "counting" ? 1 : basis === "outside_decree" ? 2 : 0);
  return Object.entries(analytics).sort(([a, basisA], [b, basisB]) => rank(basisA) - rank(basisB) || (a < b ? -1 : 1));
}

const EARTH_RADIUS_M = 6_371_008.8;
const DEGREES = 180 / Math.PI;

/** The point `distanceM` metres from `origin` towards `bearingDeg` (clockwise from north), on a local flat earth. */
export function offset([lon, lat]: LonLat, bearingDeg: number, distanceM: number): LonLat {
  const bearing = (bearingDeg * Math.PI) / 180;
  const north = distanceM * Math.cos(bearing);
  const east = distanceM * Math.sin(bearing);
  const dLat = (north / EARTH_RADIUS_M) * DEGREES;
  const dLon = (east / (EARTH_RADIUS_M * Math.cos((lat * Math.PI) / 180))) * DEGREES;
  return [lon + dLon, lat + dLat];
}

/**
 * A camera's field of view as a closed polygon ring: the camera, then an arc of `range_m` radius from
 * `heading - fov/2` to `heading + fov/2` (a point every `stepDeg` degrees at most), back to the camera; a full
 * circle when the field of view is 360° or more. Null when the camera has no position, heading, field or range.
 */
export function fieldOfView(camera: CameraOut, stepDeg = 5): LonLat[] | null {
  const { position, heading_deg: heading, fov_deg: fov, range_m: range } = camera;
  if (position === null || heading === null || fov === null || range === null) return null;
  if (!(fov > 0 && range > 0) || !Number.isFinite(heading)) return null;
  const span = Math.min(fov, 360);
  const steps = Math.max(2, Math.ceil(span / stepDeg));
  const arc: LonLat[] = [];
  const start = span >= 360 ? heading : heading - span / 2;
  for (let index = 0; index <= steps; index += 1) arc.push(offset(position, start + (span * index) / steps, range));
  if (span >= 360) {
    arc[arc.length - 1] = arc[0]!;
    return arc;
  }
  return [position, ...arc, position];
}
