/**
 * The shelve dialog: a reason (required) and a duration in minutes (prefilled: 60), confirmed with #shelve-confirm.
 * Stable ids: #shelve-reason, #shelve-duration, #shelve-confirm.
 */

import { label, t } from "../i18n";
import type { AlarmOut } from "../types";
import { h, text } from "./dom";

export interface ShelveRequest {
  reason: string;
  durationS: number;
}

export const DEFAULT_SHELVE_MINUTES = 60;
const MAX_SHELVE_MINUTES = 7 * 24 * 60;

/** The duration in seconds for a text in minutes, or null when it is not a number in (0, 7 days]. */
export function shelveSeconds(minutesText: string): number | null {
  const minutes = Number(minutesText.trim().replace(",", "."));
  if (!Number.isFinite(minutes) || minutes <= 0 || minutes > MAX_SHELVE_MINUTES) return null;
  return minutes * 60;
}

/** Ask for a reason and a duration; resolves to null when cancelled. */
export function askShelve(alarm: AlarmOut, parent: HTMLElement): Promise<ShelveRequest | null> {
  return new Promise((resolve) => {
    const reason = h("input", { id: "shelve-reason", name: "reason", maxlength: 500, required: true, autocomplete: "off" });
    const duration = h("input", {
      id: "shelve-duration",
      name: "duration",
      type: "number",
      min: 1,
      max: MAX_SHELVE_MINUTES,
      step: 1,
      value: DEFAULT_SHELVE_MINUTES,
      required: true,
    });
    const presets = h(
      "div",
      { class: "presets" },
      ...[15, 60, 240, 480, 1440].map((minutes) => {
        const button = h("button", { type: "button", class: "ghost small" }, minutes < 60 ? `${minutes} min` : `${minutes / 60} h`);
        button.addEventListener("click", () => {
          duration.value = String(minutes);
        });
        return button;
      }),
    );
    const error = h("p", { class: "dialog-error", role: "alert" });
    error.hidden = true;
    const confirm = text("button", "shelve.confirm", { id: "shelve-confirm", type: "submit", class: "primary" });
    const cancel = text("button", "shelve.cancel", { type: "button", class: "ghost" });
    const form = h(
      "form",
      { method: "dialog", class: "dialog-form" },
      text("h2", "shelve.title", { id: "shelve-title" }),
      h("p", { class: "dialog-subject" }, `P${alarm.priority} · ${label("alarmType", alarm.key.type)} · ${alarm.message}`),
      h("label", { class: "field", for: "shelve-reason" }, text("span", "shelve.reason"), reason),
      h("label", { class: "field", for: "shelve-duration" }, text("span", "shelve.duration"), duration),
      presets,
      error,
      h("div", { class: "dialog-buttons" }, cancel, confirm),
    );
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": "shelve-title" }, form);
    parent.appendChild(dialog);

    let settled = false;
    const finish = (value: ShelveRequest | null) => {
      if (settled) return;
      settled = true;
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const why = reason.value.trim();
      const seconds = shelveSeconds(duration.value);
      if (why.length === 0) {
        error.textContent = t("shelve.reasonRequired");
        error.hidden = false;
        reason.focus();
        return;
      }
      if (seconds === null) {
        error.textContent = t("shelve.durationInvalid");
        error.hidden = false;
        duration.focus();
        return;
      }
      finish({ reason: why, durationS: seconds });
    });
    cancel.addEventListener("click", () => finish(null));
    dialog.addEventListener("cancel", () => finish(null));
    dialog.showModal();
    reason.focus();
  });
}
