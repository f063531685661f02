/**
 * The audit tab (supervisors and administrators): the newest 200 entries of GET /api/audit, loaded when the tab
 * opens and on Refresh. Rows carry `data-audit-action` and show the target id.
 */

import type { ApiClient } from "../api";
import { formatTime, t } from "../i18n";
import type { AuditEntryOut } from "../types";
import { h, replaceChildren, text } from "./dom";

export const AUDIT_LIMIT = 200;

/** `key=value` pairs of an entry's details, in key order. */
export function describeDetails(details: AuditEntryOut["details"]): string {
  return Object.keys(details)
    .sort()
    .map((key) => `${key}=${String(details[key])}`)
    .join(", ");
}

export class AuditPanel {
  readonly element: HTMLElement;
  private readonly api: ApiClient;
  private readonly body: HTMLTableSectionElement;
  private readonly status: HTMLElement;
  private entries: AuditEntryOut[] = [];
  private loading = false;

  constructor(api: ApiClient) {
    this.api = api;
    const refresh = text("button", "audit.refresh", { type: "button", class: "ghost", id: "audit-refresh" });
    refresh.addEventListener("click", () => void this.load());
    this.status = h("p", { class: "audit-status", role: "status" });
    this.body = h("tbody");
    const head = h(
      "thead",
      {},
      h(
        "tr",
        {},
        text("th", "audit.time"),
        text("th", "audit.actor"),
        text("th", "audit.action"),
        text("th", "audit.target"),
        text("th", "audit.details"),
      ),
    );
    this.element = h(
      "section",
      { class: "audit-panel" },
      h("div", { class: "audit-toolbar" }, refresh, this.status),
      h("div", { class: "table-scroll" }, h("table", { class: "audit-table" }, head, this.body)),
    );
  }

  /** Fetch the newest entries and redraw. */
  async load(): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    this.status.textContent = t("audit.loading");
    try {
      this.entries = await this.api.audit(AUDIT_LIMIT);
      this.status.textContent = this.entries.length === 0 ? t("audit.empty") : "";
      this.draw();
    } catch (error) {
      this.status.textContent = t("audit.failed", { detail: error instanceof Error ? error.message : String(error) });
    } finally {
      this.loading = false;
    }
  }

  applyLanguage(): void {
    this.draw();
    if (!this.loading && this.entries.length === 0) this.status.textContent = "";
  }

  private draw(): void {
    replaceChildren(
      this.body,
      ...this.entries.map((entry) =>
        h(
          "tr",
          { "data-audit-action": entry.action, "data-audit-id": entry.id },
          h("td", { class: "nowrap" }, formatTime(entry.ts)),
          h("td", {}, entry.actor),
          h("td", { class: "mono" }, entry.action),
          h("td", { class: "mono" }, `${entry.target_type}:${entry.target_id}`),
          h("td", { class: "details-cell" }, describeDetails(entry.details)),
        ),
      ),
    );
  }
}
