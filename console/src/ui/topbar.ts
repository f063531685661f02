/**
 * The top bar: product name, the live stream's state (`[data-testid=live-status]` with `data-state`), the open and
 * unacknowledged alarm counts, the language switch, who is signed in (`#user-role`) and `#logout`.
 */

import type { LiveStatus } from "../live";
import { formatAge, type MessageKey, t } from "../i18n";
import type { Language } from "../types";
import { h, text } from "./dom";
import { languageSwitch } from "./language-switch";

const STATUS_KEYS: Record<LiveStatus, MessageKey> = {
  live: "live.live",
  stale: "live.stale",
  disconnected: "live.disconnected",
};

export interface TopBarOptions {
  username: string;
  role: string;
  chooseLanguage: (language: Language) => void;
  logout: () => void;
}

export class TopBar {
  readonly element: HTMLElement;
  private readonly status: HTMLElement;
  private readonly statusLabel: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly critical: HTMLElement;
  private readonly disposeSwitch: () => void;
  private statusValue: LiveStatus = "disconnected";
  private counts = { open: 0, unack: 0, critical: 0 };

  constructor(options: TopBarOptions) {
    this.statusLabel = h("span", { class: "live-label" });
    this.status = h(
      "div",
      { class: "live-status", "data-testid": "live-status", "data-state": "disconnected", role: "status" },
      h("span", { class: "live-dot", "aria-hidden": "true" }),
      this.statusLabel,
    );
    this.summary = h("span", { class: "alarm-summary" });
    this.critical = h("span", { class: "critical-count", "data-priority": "1" });
    const switcher = languageSwitch(options.chooseLanguage);
    this.disposeSwitch = switcher.dispose;
    const logout = text("button", "top.logout", { id: "logout", type: "button", class: "ghost" });
    logout.addEventListener("click", options.logout);
    this.element = h(
      "header",
      { class: "topbar" },
      h("div", { class: "brand" }, h("span", { class: "brand-mark", "aria-hidden": "true" }), "Beffroi"),
      this.status,
      h("div", { class: "summary" }, this.critical, this.summary),
      h("div", { class: "spacer" }),
      switcher.element,
      h(
        "div",
        { class: "user" },
        h("span", { id: "user-name" }, options.username),
        h("span", { id: "user-role", class: "role-chip" }, options.role),
      ),
      logout,
    );
    this.render();
  }

  setStatus(status: LiveStatus): void {
    this.statusValue = status;
    this.render();
  }

  /** The tooltip: how long ago the last frame came (epoch ms; 0: never). */
  setLastFrame(lastFrameMs: number, nowMs: number): void {
    this.status.title =
      lastFrameMs === 0 ? t("live.never") : t("live.lastFrame", { age: formatAge(lastFrameMs / 1000, nowMs / 1000) });
  }

  setCounts(open: number, unack: number, critical: number): void {
    this.counts = { open, unack, critical };
    this.render();
  }

  render(): void {
    this.status.dataset.state = this.statusValue;
    this.statusLabel.textContent = t(STATUS_KEYS[this.statusValue]);
    this.summary.textContent = t("top.summary", { open: this.counts.open, unack: this.counts.unack });
    this.critical.textContent = `P1 ${this.counts.critical}`;
    this.critical.hidden = this.counts.critical === 0;
  }

  dispose(): void {
    this.disposeSwitch();
  }
}
