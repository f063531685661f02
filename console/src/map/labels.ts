/**
 * Screen layout of the site markers, so that each stays visible and clickable at national scale where venues are a
 * few pixels apart: markers that would overlap are moved aside along a sunflower spiral around their true place (the
 * most important keeps its place), then the names that fit without covering another marker or name are shown (the
 * others show on hover).
 */

export interface ScreenPoint {
  id: string;
  /** The marker's true place on screen, in pixels. */
  x: number;
  y: number;
  /** Lower is more important: placed first. */
  rank: number;
  /** Room the marker needs around its centre, in pixels (default: half the spacing). */
  radius?: number;
}

export interface LabelCandidate extends ScreenPoint {
  /** The label's size in pixels; it sits to the right of its marker. */
  width: number;
  height: number;
}

export type Offset = [dx: number, dy: number];
type Box = [left: number, top: number, right: number, bottom: number];

const GOLDEN_ANGLE = Math.PI * (3 - Math.sqrt(5));
const MAX_SPIRAL_STEPS = 2000;
const LABEL_GAP = 10;
const MARGIN = 2;

function byRank(a: ScreenPoint, b: ScreenPoint): number {
  return a.rank - b.rank || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Where to draw each marker so that no two overlap (centres at least `spacing` apart, or the sum of their radii
 * when larger): its offset from its true place, [0, 0] for every marker that has room.
 */
export function dodge(points: readonly ScreenPoint[], spacing: number): Map<string, Offset> {
  const largest = Math.max(spacing / 2, ...points.map((point) => point.radius ?? spacing / 2));
  const cell = 2 * largest;
  const cells = new Map<string, [number, number, number][]>();
  const free = (x: number, y: number, radius: number): boolean => {
    const cx = Math.floor(x / cell);
    const cy = Math.floor(y / cell);
    for (let i = cx - 1; i <= cx + 1; i += 1) {
      for (let j = cy - 1; j <= cy + 1; j += 1) {
        for (const [px, py, pr] of cells.get(`${i},${j}`) ?? []) {
          const distance = Math.max(spacing, radius + pr);
          if ((px - x) ** 2 + (py - y) ** 2 < distance * distance) return false;
        }
      }
    }
    return true;
  };
  const offsets = new Map<string, Offset>();
  for (const point of [...points].sort(byRank)) {
    const radius = point.radius ?? spacing / 2;
    let x = point.x;
    let y = point.y;
    for (let step = 1; step <= MAX_SPIRAL_STEPS && !free(x, y, radius); step += 1) {
      const distance = spacing * 0.62 * Math.sqrt(step);
      x = point.x + distance * Math.cos(step * GOLDEN_ANGLE);
      y = point.y + distance * Math.sin(step * GOLDEN_ANGLE);
    }
    const key = `${Math.floor(x / cell)},${Math.floor(y / cell)}`;
    const held = cells.get(key);
    if (held === undefined) cells.set(key, [[x, y, radius]]);
    else held.push([x, y, radius]);
    offsets.set(point.id, [x - point.x, y - point.y]);
  }
  return offsets;
}

function overlaps(a: Box, b: Box): boolean {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

/**
 * The ids whose label fits inside the view (`viewWidth` × `viewHeight`) without overlapping another label or a
 * marker (`markerSize` pixels wide, at the candidates' places), most important first.
 */
export function placeLabels(
  candidates: readonly LabelCandidate[],
  viewWidth: number,
  viewHeight: number,
  markerSize = 0,
): Set<string> {
  const half = markerSize / 2;
  const markers: [string, Box][] = candidates.map((c) => [c.id, [c.x - half, c.y - half, c.x + half, c.y + half]]);
  const placed: Box[] = [];
  const shown = new Set<string>();
  for (const candidate of [...candidates].sort(byRank)) {
    const left = candidate.x + LABEL_GAP;
    const top = candidate.y - candidate.height / 2;
    const box: Box = [left - MARGIN, top - MARGIN, left + candidate.width + MARGIN, top + candidate.height + MARGIN];
    if (box[0] < 0 || box[2] > viewWidth || box[1] < 0 || box[3] > viewHeight) continue; // wholly in view
    if (placed.some((other) => overlaps(box, other))) continue;
    if (markerSize > 0 && markers.some(([id, marker]) => id !== candidate.id && overlaps(box, marker))) continue;
    placed.push(box);
    shown.add(candidate.id);
  }
  return shown;
}

/** A label's width in pixels, estimated from its length (12 px system font). */
export function estimateLabelWidth(text: string): number {
  return Math.ceil(text.length * 6.8) + 12;
}

export const LABEL_HEIGHT = 18;
/** The smallest distance between two site markers' centres, in pixels. */
export const MARKER_SPACING = 15;
/** The room a marker with an alarm badge needs around its centre (the badge sits on its upper right). */
export const BADGE_RADIUS = 13;
