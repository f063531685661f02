/** Short messages at the bottom of the screen (an action done or refused), gone after a few seconds. */

import { h } from "./dom";

const SHOW_MS = 6000;

export class Toaster {
  readonly element = h("div", { class: "toasts", role: "status", "aria-live": "polite" });

  show(message: string, kind: "info" | "error" = "info"): void {
    const toast = h("div", { class: `toast toast-${kind}` }, message);
    this.element.appendChild(toast);
    while (this.element.childElementCount > 4) this.element.firstElementChild?.remove();
    setTimeout(() => toast.remove(), SHOW_MS);
  }
}
