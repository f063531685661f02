/**
 * Translation: the current language, `t(key, params)` for the interface's sentences, and `label(group, value)` for
 * values from the server (alarm types, kinds, states) with a readable fallback for values without a translation.
 */

import type { Language } from "../types";
import { en, type MessageKey } from "./en";
import { fr } from "./fr";

export type { MessageKey };

export const DICTIONARIES: Record<Language, Record<MessageKey, string>> = { en, fr };
export const LANGUAGES: readonly Language[] = ["fr", "en"];

export type Params = Record<string, string | number>;

/** A group of server values translated under `group.value` keys. */
export type LabelGroup =
  | "alarmType"
  | "alarmState"
  | "deviceKind"
  | "zoneKind"
  | "siteKind"
  | "health"
  | "level"
  | "metric"
  | "priority"
  | "incidentState"
  | "incidentType"
  | "timelineKind"
  | "disposition"
  | "stepStatus"
  | "evidenceKind"
  | "rateGrouping"
  | "rateLevel"
  | "cameraState"
  | "analytic"
  | "legalBasis"
  | "detector";

export function isLanguage(value: unknown): value is Language {
  return value === "fr" || value === "en";
}

/** "fence_breach" → "Fence breach": the raw value made readable. */
export function humanise(value: string): string {
  const spaced = value.replace(/_/g, " ").trim();
  return spaced.length === 0 ? value : spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

/** `template` with its `{name}` parameters filled from `params` (unknown names left as they are). */
export function fill(template: string, params: Params | undefined): string {
  if (params === undefined) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

type LanguageListener = (language: Language) => void;

let current: Language = "fr";
const listeners = new Set<LanguageListener>();

export function language(): Language {
  return current;
}

/** Switch the language and tell every listener (the views re-render their text). */
export function setLanguage(next: Language): void {
  if (next === current) return;
  current = next;
  for (const listener of listeners) listener(next);
}

export function onLanguageChange(listener: LanguageListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The sentence `key` in the current language, `{name}` placeholders filled from `params`. */
export function t(key: MessageKey, params?: Params): string {
  return fill(DICTIONARIES[current][key], params);
}

/** A server value in the current language: its translation when there is one, else the value made readable. */
export function label(group: LabelGroup, value: string | number): string {
  const key = `${group}.${value}`;
  const dictionary: Record<string, string> = DICTIONARIES[current];
  return dictionary[key] ?? humanise(String(value));
}

/** The locale for number and date formats. */
export function locale(): string {
  return current === "fr" ? "fr-FR" : "en-GB";
}

/** How long ago `then` was (epoch seconds), in the largest whole unit: "42 s", "3 min", "2 h", "1 d". */
export function formatAge(then: number, nowS: number): string {
  const seconds = Math.max(0, Math.floor(nowS - then));
  if (seconds < 60) return t("age.seconds", { n: seconds });
  if (seconds < 3600) return t("age.minutes", { n: Math.floor(seconds / 60) });
  if (seconds < 86_400) return t("age.hours", { n: Math.floor(seconds / 3600) });
  return t("age.days", { n: Math.floor(seconds / 86_400) });
}

/** A date and time (epoch seconds) in the current language, seconds shown. */
export function formatTime(epochS: number): string {
  return new Date(epochS * 1000).toLocaleString(locale(), {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

/** A number in the current language's format, at most `digits` decimals. */
export function formatNumber(value: number, digits = 0): string {
  return value.toLocaleString(locale(), { maximumFractionDigits: digits });
}
