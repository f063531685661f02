/**
 * A zone's crowd chart (SVG, no library): the fused people of the last hours with their ± sd band, one line per kind
 * of source (what it alone says), the latest 15- and 30-minute forecast drawn ahead of the newest figure with its
 * interval, the amber and red thresholds in people (when within reach of the figures), and a time axis ending
 * 30 minutes after it. `chartModel` does the arithmetic (tested), `renderZoneChart` draws it.
 */

import type { ZoneCrowdOut } from "../crowd-types";
import { formatNumber, locale } from "../i18n";
import { ct } from "../i18n/crowd";

export const CHART_WIDTH = 440;
export const CHART_HEIGHT = 190;
const PAD = { left: 46, right: 10, top: 10, bottom: 22 };
/** A threshold farther than this many times the figures' top is left off the chart (said in the text instead). */
const THRESHOLD_REACH = 1.6;
/** Time labels closer than this (chart units) would overlap. */
const MIN_TICK_GAP = 62;

export const SOURCE_COLOURS: Record<string, string> = {
  counter: "#b48ef0",
  occupancy: "#47d1b5",
  video: "#8bd46a",
  mobile: "#f28fd0",
};

export interface ChartModel {
  /** Time and value ranges. */
  t0: number;
  t1: number;
  now: number;
  yMax: number;
  fused: string;
  band: string;
  sources: { kind: string; points: string }[];
  forecast: string;
  forecastBand: string;
  thresholds: { kind: "amber" | "red"; y: number; people: number }[];
  yTicks: { y: number; value: number }[];
  xTicks: { x: number; ts: number }[];
  nowX: number;
}

/** 1, 2 or 5 times a power of ten: a tick step giving about `count` ticks up to `max`. */
export function niceStep(max: number, count = 4): number {
  const raw = Math.max(max, 1) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const factor of [1, 2, 5, 10]) if (raw <= factor * power) return factor * power;
  return 10 * power;
}

/** Where everything goes in the chart's box; null when there is no figure to draw. */
export function chartModel(data: ZoneCrowdOut, width = CHART_WIDTH, height = CHART_HEIGHT): ChartModel | null {
  const history = data.history.filter((point) => point.people !== null);
  if (history.length === 0 || data.until === null) return null;
  const now = data.until;
  // the axis starts at the span's start, or at the first figure when the figures began later
  const t0 = Math.max(data.since ?? -Infinity, history[0]!.ts);
  const t1 = now + 30 * 60;
  let top = 0;
  for (const point of history) top = Math.max(top, point.people! + (point.people_sd ?? 0));
  for (const forecast of data.forecast) top = Math.max(top, forecast.high);
  for (const series of data.source_history) for (const point of series.points) if (point.ts >= t0) top = Math.max(top, point.people);
  const thresholds: ChartModel["thresholds"] = [];
  if (data.thresholds !== null) {
    for (const kind of ["amber", "red"] as const) {
      const people = data.thresholds[kind] * data.zone.area_m2;
      if (people <= Math.max(top, 1) * THRESHOLD_REACH) thresholds.push({ kind, y: 0, people });
    }
  }
  for (const threshold of thresholds) top = Math.max(top, threshold.people);
  const step = niceStep(top * 1.08);
  const yMax = Math.max(step, Math.ceil((top * 1.08) / step) * step);
  const innerW = width - PAD.left - PAD.right;
  const innerH = height - PAD.top - PAD.bottom;
  const x = (ts: number) => PAD.left + ((Math.min(Math.max(ts, t0), t1) - t0) / (t1 - t0)) * innerW;
  const y = (value: number) => PAD.top + innerH - (Math.min(Math.max(value, 0), yMax) / yMax) * innerH;
  const xy = (ts: number, value: number) => `${x(ts).toFixed(1)},${y(value).toFixed(1)}`;
  const inSpan = history.filter((point) => point.ts >= t0);
  const fused = inSpan.map((point) => xy(point.ts, point.people!)).join(" ");
  const upper = inSpan.map((point) => xy(point.ts, point.people! + (point.people_sd ?? 0)));
  const lower = inSpan.map((point) => xy(point.ts, point.people! - (point.people_sd ?? 0))).reverse();
  const sources = data.source_history.map((series) => ({
    kind: series.kind,
    points: series.points.filter((point) => point.ts >= t0).map((point) => xy(point.ts, point.people)).join(" "),
  }));
  const start = data.latest?.people ?? inSpan[inSpan.length - 1]!.people!;
  const ahead = [...data.forecast].sort((a, b) => a.minutes - b.minutes);
  const forecast = ahead.length === 0 ? "" : [xy(now, start), ...ahead.map((f) => xy(f.at, f.people))].join(" ");
  const forecastBand =
    ahead.length === 0
      ? ""
      : [xy(now, start), ...ahead.map((f) => xy(f.at, f.high)), ...[...ahead].reverse().map((f) => xy(f.at, f.low))].join(" ");
  for (const threshold of thresholds) threshold.y = y(threshold.people);
  const yTicks: ChartModel["yTicks"] = [];
  for (let value = 0; value <= yMax + step / 2; value += step) yTicks.push({ y: y(value), value });
  // the start, the middle of the past, now and the forecast's end; a tick too close to the next one is left out
  const xTicks: ChartModel["xTicks"] = [];
  for (const ts of [t0, t0 + (now - t0) / 2, now, t1]) {
    const at = x(ts);
    const last = xTicks[xTicks.length - 1];
    if (last !== undefined && at - last.x < MIN_TICK_GAP) {
      if (ts === now) xTicks.pop(); // now is always named
      else continue;
    }
    xTicks.push({ x: at, ts });
  }
  return {
    t0,
    t1,
    now,
    yMax,
    fused,
    band: [...upper, ...lower].join(" "),
    sources,
    forecast,
    forecastBand,
    thresholds,
    yTicks,
    xTicks,
    nowX: x(now),
  };
}

const SVG = "http://www.w3.org/2000/svg";

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

function clock(ts: number): string {
  return new Date(ts * 1000).toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" });
}

/** The chart, or null when there is no figure to draw. */
export function renderZoneChart(data: ZoneCrowdOut): SVGSVGElement | null {
  const model = chartModel(data);
  if (model === null) return null;
  const root = svg("svg", { viewBox: `0 0 ${CHART_WIDTH} ${CHART_HEIGHT}`, class: "zone-chart", role: "img" });
  root.setAttribute("aria-label", ct("chart.label"));
  for (const tick of model.yTicks) {
    root.append(svg("line", { x1: PAD.left, x2: CHART_WIDTH - PAD.right, y1: tick.y, y2: tick.y, class: "zone-chart-grid" }));
    const label = svg("text", { x: PAD.left - 4, y: tick.y + 3, class: "zone-chart-tick", "text-anchor": "end" });
    label.textContent = formatNumber(tick.value);
    root.append(label);
  }
  model.xTicks.forEach((tick, index) => {
    const anchor = index === 0 && tick.ts !== model.now ? "start" : index === model.xTicks.length - 1 ? "end" : "middle";
    const label = svg("text", { x: tick.x, y: CHART_HEIGHT - 6, class: "zone-chart-tick", "text-anchor": anchor });
    label.textContent = tick.ts === model.now ? ct("chart.now") : clock(tick.ts);
    root.append(label);
  });
  for (const threshold of model.thresholds) {
    root.append(
      svg("line", {
        x1: PAD.left,
        x2: CHART_WIDTH - PAD.right,
        y1: threshold.y,
        y2: threshold.y,
        class: `zone-chart-threshold ${threshold.kind}`,
        "data-threshold": threshold.kind,
      }),
    );
    const label = svg("text", { x: CHART_WIDTH - PAD.right - 2, y: threshold.y - 3, class: `zone-chart-threshold-label ${threshold.kind}`, "text-anchor": "end" });
    label.textContent = ct(threshold.kind === "amber" ? "chart.amber" : "chart.red");
    root.append(label);
  }
  root.append(svg("line", { x1: model.nowX, x2: model.nowX, y1: PAD.top, y2: CHART_HEIGHT - PAD.bottom, class: "zone-chart-now" }));
  if (model.band.length > 0) root.append(svg("polygon", { points: model.band, class: "zone-chart-band" }));
  for (const series of model.sources) {
    if (series.points.length === 0) continue;
    root.append(
      svg("polyline", {
        points: series.points,
        class: "zone-chart-source",
        stroke: SOURCE_COLOURS[series.kind] ?? "#8796a4",
        "data-source": series.kind,
      }),
    );
  }
  if (model.forecastBand.length > 0) root.append(svg("polygon", { points: model.forecastBand, class: "zone-chart-forecast-band" }));
  if (model.forecast.length > 0) root.append(svg("polyline", { points: model.forecast, class: "zone-chart-forecast" }));
  root.append(svg("polyline", { points: model.fused, class: "zone-chart-fused" }));
  return root;
}
