/** A small SVG line chart of one metric's latest readings (oldest on the left), with its range and last value. */

import { formatNumber, formatTime } from "../i18n";

export interface Point {
  ts: number;
  value: number;
}

export interface ChartGeometry {
  /** The polyline's `points` attribute. */
  points: string;
  min: number;
  max: number;
  first: number;
  last: number;
}

/**
 * Where the points go in a `width` × `height` box (inner padding `pad`): time on x, value on y (up), in time
 * order. A flat series sits in the middle. Null for no points.
 */
export function chartGeometry(points: readonly Point[], width: number, height: number, pad = 4): ChartGeometry | null {
  if (points.length === 0) return null;
  const sorted = [...points].sort((a, b) => a.ts - b.ts);
  const first = sorted[0]!.ts;
  const last = sorted[sorted.length - 1]!.ts;
  let min = Infinity;
  let max = -Infinity;
  for (const point of sorted) {
    min = Math.min(min, point.value);
    max = Math.max(max, point.value);
  }
  const spanT = last - first;
  const spanV = max - min;
  const innerW = width - 2 * pad;
  const innerH = height - 2 * pad;
  const coordinates = sorted.map((point) => {
    const x = pad + (spanT === 0 ? innerW : ((point.ts - first) / spanT) * innerW);
    const y = pad + (spanV === 0 ? innerH / 2 : innerH - ((point.value - min) / spanV) * innerH);
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  return { points: coordinates.join(" "), min, max, first, last };
}

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 280;
const HEIGHT = 72;

/** The chart as an element: the line, its last point, and the min / max / last value and time span as text. */
export function renderChart(points: readonly Point[]): HTMLElement {
  const figure = document.createElement("figure");
  figure.className = "chart";
  const geometry = chartGeometry(points, WIDTH, HEIGHT);
  if (geometry === null) return figure;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("role", "img");
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", geometry.points);
  line.setAttribute("class", "chart-line");
  svg.appendChild(line);
  const lastXY = geometry.points.split(" ").pop()?.split(",") ?? [];
  if (lastXY.length === 2) {
    const dot = document.createElementNS(SVG, "circle");
    dot.setAttribute("cx", lastXY[0]!);
    dot.setAttribute("cy", lastXY[1]!);
    dot.setAttribute("r", "2.5");
    dot.setAttribute("class", "chart-dot");
    svg.appendChild(dot);
  }
  figure.appendChild(svg);
  const caption = document.createElement("figcaption");
  const newest = [...points].sort((a, b) => b.ts - a.ts)[0]!;
  caption.textContent =
    `${formatNumber(newest.value, 2)} · min ${formatNumber(geometry.min, 2)} · max ${formatNumber(geometry.max, 2)}` +
    ` · ${formatTime(geometry.first)} → ${formatTime(geometry.last)}`;
  figure.appendChild(caption);
  return figure;
}
