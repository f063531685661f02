/**
 * A modal dialog asking one required text for an action (a step's skip justification, the incident a duplicate
 * duplicates), like the shelve dialog. The caller names the field's and the confirm button's ids, which browser
 * tests use (#skip-justification, #skip-confirm; #duplicate-of, #duplicate-confirm).
 */

import { type MessageKey, t } from "../i18n";
import { h, text } from "./dom";

export interface TextDialogOptions {
  title: MessageKey;
  /** What the action is about (the step's text, the incident's title). */
  subject: string;
  field: MessageKey;
  confirm: MessageKey;
  /** Shown when confirmed empty. */
  required: MessageKey;
  inputId: string;
  confirmId: string;
  multiline: boolean;
  maxLength: number;
  /** Values offered as the user types (a datalist), each with a readable label. */
  suggestions?: { value: string; label: string }[];
}

/** Ask for the text; resolves to it trimmed, or to null when cancelled. */
export function askText(options: TextDialogOptions, parent: HTMLElement): Promise<string | null> {
  return new Promise((resolve) => {
    const listId = `${options.inputId}-options`;
    const input = options.multiline
      ? h("textarea", { id: options.inputId, rows: 4, maxlength: options.maxLength, required: true })
      : h("input", {
          id: options.inputId,
          maxlength: options.maxLength,
          required: true,
          autocomplete: "off",
          list: options.suggestions === undefined ? undefined : listId,
        });
    const suggestions =
      options.suggestions === undefined
        ? null
        : h("datalist", { id: listId }, ...options.suggestions.map((entry) => h("option", { value: entry.value }, entry.label)));
    const error = h("p", { class: "dialog-error", role: "alert" });
    error.hidden = true;
    const confirm = text("button", options.confirm, { id: options.confirmId, type: "submit", class: "primary" });
    const cancel = text("button", "dialog.cancel", { type: "button", class: "ghost" });
    const titleId = `${options.inputId}-title`;
    const form = h(
      "form",
      { method: "dialog", class: "dialog-form" },
      text("h2", options.title, { id: titleId }),
      h("p", { class: "dialog-subject" }, options.subject),
      h("label", { class: "field", for: options.inputId }, text("span", options.field), input),
      suggestions,
      error,
      h("div", { class: "dialog-buttons" }, cancel, confirm),
    );
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": titleId }, form);
    parent.appendChild(dialog);

    let settled = false;
    const finish = (value: string | null) => {
      if (settled) return;
      settled = true;
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const value = input.value.trim();
      if (value.length === 0) {
        error.textContent = t(options.required);
        error.hidden = false;
        input.setAttribute("aria-invalid", "true");
        input.focus();
        return;
      }
      finish(value);
    });
    cancel.addEventListener("click", () => finish(null));
    dialog.addEventListener("cancel", () => finish(null));
    dialog.showModal();
    input.focus();
  });
}
