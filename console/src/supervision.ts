/**
 * What the supervision tab computes from the API's answers, without the DOM: alarm-rate levels per desk (ISA-18.2 /
 * EEMUA 191 speak of alarms per 10 minutes per operator: about 1 is manageable, more than 10 a flood), the order of
 * the desks and sites, and the fields of a skipped-step notification.
 */

import type { DeskAlarmRateOut, RateGrouping, SiteAlarmRateOut, TimelineEntryOut } from "./types";

/** The groupings GET /api/supervision/false-alarm-rates takes as `by`, the default first. */
export const RATE_GROUPINGS: readonly RateGrouping[] = ["alarm_type", "source", "rule", "incident_type"];

/** ISA-18.2's reference window: alarm rates are read per 10 minutes. */
export const REFERENCE_WINDOW_S = 600;
/** At most this many alarms per 10 minutes per operator is acceptable; above the flood limit is a flood. */
export const ACCEPTABLE_PER_10_MIN = 1;
export const FLOOD_PER_10_MIN = 10;

export type RateLevel = "normal" | "busy" | "flood";

/** A count in a window of `windowS` seconds as a count per 10 minutes. */
export function per10Minutes(count: number, windowS: number): number {
  return windowS > 0 ? (count * REFERENCE_WINDOW_S) / windowS : count;
}

/** normal (≤ 1 per 10 min), busy, or flood (> 10 per 10 min, or the server says the desk floods). */
export function rateLevel(count: number, windowS: number, flooding = false): RateLevel {
  const rate = per10Minutes(count, windowS);
  if (flooding || rate > FLOOD_PER_10_MIN) return "flood";
  return rate > ACCEPTABLE_PER_10_MIN ? "busy" : "normal";
}

/** Flooding desks first, then the busiest in the window, then the highest peak, then by name. */
export function sortDeskRates(desks: readonly DeskAlarmRateOut[]): DeskAlarmRateOut[] {
  return [...desks].sort(
    (a, b) =>
      Number(b.flooding) - Number(a.flooding) ||
      b.alarms_in_window - a.alarms_in_window ||
      b.peak - a.peak ||
      a.desk.localeCompare(b.desk),
  );
}

/** The sites that raised an alarm (in the window or at their peak), the busiest in the window first, then the highest
 * peak, then by id. */
export function sortSiteRates(sites: readonly SiteAlarmRateOut[]): SiteAlarmRateOut[] {
  return sites
    .filter((site) => site.alarms_in_window > 0 || site.peak > 0)
    .sort(
    (a, b) => b.alarms_in_window - a.alarms_in_window || b.peak - a.peak || a.site_id.localeCompare(b.site_id),
  );
}

/** A false-alarm rate (false / (true + false)) as a percentage with no decimal, or null before any disposition. */
export function ratePercent(rate: number | null): number | null {
  return rate === null || !Number.isFinite(rate) ? null : Math.round(rate * 100);
}

/** A skipped-step notification's fields, from its structured data. */
export interface SkipNotice {
  stepId: string | null;
  justification: string;
  required: boolean | null;
  procedure: string | null;
}

export function skipNotice(entry: Pick<TimelineEntryOut, "data" | "text">): SkipNotice {
  const { data } = entry;
  const text = (value: unknown): string | null => (typeof value === "string" && value.length > 0 ? value : null);
  return {
    stepId: text(data.step_id),
    justification: text(data.justification) ?? entry.text,
    required: typeof data.required === "boolean" ? data.required : null,
    procedure: text(data.procedure),
  };
}
