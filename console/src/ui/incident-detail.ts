/**
 * One incident in a wide drawer over the map (`#incident-detail`, with `data-incident-id`, `data-state` and
 * `data-priority`): a header with its type, title, state and priority; the actions the role and the state allow
 * (`[data-incident-action=start|resume|hold|resolve|close|reopen|assign-me|assign-desk|disposition-true|
 * disposition-false|disposition-duplicate]`, `#incident-note` and `#incident-note-submit`); its procedure, to work
 * step by step; its alarms (a click selects one on the map), the pictures of those raised from cameras, its evidence,
 * and its timeline (`#timeline-order`
 * turns it newest or oldest first). A viewer sees the same without any action. GET /api/incidents/{id} is fetched when
 * it opens, after every action, and whenever the live stream brings a change of the incident (`refresh`, from its
 * owner), never on a timer; refused actions show the server's reason in a toast.
 */

import { ApiError, type ApiClient, describeFailure } from "../api";
import { compareAlarms } from "../alarms";
import {
  incidentPermissions,
  type IncidentPermissions,
  orderTimeline,
  readOnly,
  type TransitionAction,
  TRANSITION_TARGETS,
} from "../incidents";
import { formatAge, formatTime, label, language, type MessageKey, t } from "../i18n";
import { Poller } from "../poller";
import { completionRequest, skipJustification, type StepInput, MAX_STEP_TEXT } from "../procedure";
import type { CameraDirectory } from "../cameras";
import type { Registry } from "../registry";
import type {
  AlarmOut,
  Disposition,
  EvidenceOut,
  IncidentChangeOut,
  IncidentDetailOut,
  IncidentOut,
  TimelineEntryOut,
} from "../types";
import { h, replaceChildren, text, translateTree } from "./dom";
import { incidentOwner, incidentPlace } from "./incident-list";
import { IncidentPictures } from "./incident-pictures";
import { renderProcedure } from "./procedure-view";
import { askText } from "./text-dialog";
import type { Toaster } from "./toast";

const MAX_NOTE = 4000;
const DISPOSITIONS: Disposition[] = ["true", "false", "duplicate"];

const TRANSITION_KEYS: Record<TransitionAction, MessageKey> = {
  start: "incident.start",
  resume: "incident.resume",
  hold: "incident.hold",
  resolve: "incident.resolve",
  close: "incident.close",
  reopen: "incident.reopen",
};

export interface IncidentDrawerOptions {
  api: ApiClient;
  registry: Registry;
  /** The analysed cameras (the pictures of camera alarms, their live view). */
  cameras: CameraDirectory;
  /** Open a camera's card with its live view. */
  openCamera: (cameraId: string) => void;
  role: string;
  username: string;
  toaster: Toaster;
  now: () => number;
  /** Show the alarm on the map and in the details card. */
  selectAlarm: (alarm: AlarmOut) => void;
  /** The open incidents known to the list (duplicate suggestions) and the desks known (assignment suggestions). */
  incidents: () => readonly IncidentOut[];
  desks: () => string[];
  /** An action changed an incident: its answer, to show in the list at once. */
  changed: (result: IncidentChangeOut) => void;
  /** The drawer closed (the list unselects its row). */
  closed: () => void;
}

export class IncidentDrawer {
  readonly element: HTMLElement;
  private readonly options: IncidentDrawerOptions;
  /** Loads the incident shown, one request at a time (never started: it runs on demand only). */
  private readonly loader: Poller;
  private readonly kind: HTMLElement;
  private readonly title: HTMLElement;
  private readonly chips: HTMLElement;
  private readonly facts: HTMLElement;
  private readonly actions: HTMLElement;
  private readonly procedureSlot: HTMLElement;
  private readonly noteForm: HTMLElement;
  private readonly note: HTMLTextAreaElement;
  private readonly noteSubmit: HTMLButtonElement;
  private readonly deskInput: HTMLInputElement;
  private readonly deskList: HTMLDataListElement;
  private readonly alarmsSlot: HTMLElement;
  private readonly evidenceSlot: HTMLElement;
  private readonly pictures: IncidentPictures;
  private readonly timelineSlot: HTMLElement;
  private readonly timelineOrder: HTMLButtonElement;
  private readonly status: HTMLElement;
  /** The operator's unsent ticks and choices, per step id of the incident shown. */
  private readonly stepInputs = new Map<string, StepInput>();
  private readonly signatures = new Map<string, string>();
  private incidentId: string | null = null;
  private detail: IncidentDetailOut | null = null;
  private newestFirst = true;
  private busy = false;
  private request = 0;

  constructor(options: IncidentDrawerOptions) {
    this.options = options;
    this.loader = new Poller(() => this.load(), 0);
    this.kind = h("span", { class: "details-kind" });
    this.title = h("h2", { class: "details-title", id: "incident-title" });
    this.chips = h("div", { class: "incident-chips" });
    const close = h("button", { type: "button", class: "ghost icon", id: "incident-close", "data-i18n-title": "details.close", title: t("details.close") }, "×");
    close.addEventListener("click", () => this.close());
    this.facts = h("dl", { class: "facts incident-facts" });
    this.actions = h("div", { class: "incident-actions" });
    this.status = h("p", { class: "list-status", role: "status" });
    this.status.hidden = true;

    this.deskInput = h("input", { id: "incident-desk", class: "desk-input", maxlength: 128, autocomplete: "off", list: "incident-desk-options" });
    this.deskInput.setAttribute("data-i18n-label", "incident.deskField");
    this.deskList = h("datalist", { id: "incident-desk-options" });

    this.note = h("textarea", { id: "incident-note", rows: 2, maxlength: MAX_NOTE });
    this.note.setAttribute("data-i18n-label", "incident.noteField");
    this.note.placeholder = t("incident.noteField");
    this.noteSubmit = text("button", "incident.addNote", { type: "submit", id: "incident-note-submit", class: "small" });
    this.noteForm = h("form", { class: "note-form" }, this.note, this.noteSubmit);
    this.noteForm.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.addNote();
    });

    this.procedureSlot = h("div", { class: "procedure-slot" });
    this.alarmsSlot = h("div", { class: "incident-section" });
    this.evidenceSlot = h("div", { class: "incident-section" });
    this.pictures = new IncidentPictures(options);
    this.timelineOrder = h("button", { type: "button", class: "ghost small", id: "timeline-order" });
    this.timelineOrder.addEventListener("click", () => {
      this.newestFirst = !this.newestFirst;
      this.render();
    });
    this.timelineSlot = h("div", { class: "timeline-slot" });

    this.element = h(
      "aside",
      { id: "incident-detail", class: "incident-drawer", "aria-labelledby": "incident-title" },
      h(
        "header",
        { class: "details-head incident-head" },
        h("div", {}, this.kind, this.title, this.chips),
        h("div", { class: "details-tools" }, close),
      ),
      this.status,
      h(
        "div",
        { class: "incident-body" },
        h("div", { class: "incident-column" }, this.facts, this.actions, this.procedureSlot),
        h(
          "div",
          { class: "incident-column" },
          this.alarmsSlot,
          this.pictures.element,
          this.evidenceSlot,
          h(
            "section",
            { class: "incident-section" },
            h("div", { class: "section-head" }, text("h3", "incident.timeline"), this.timelineOrder),
            this.timelineSlot,
          ),
        ),
      ),
      this.deskList,
    );
    this.element.hidden = true;
    this.element.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && (event.target as HTMLElement).closest("dialog") === null) this.close();
    });
  }

  get current(): string | null {
    return this.incidentId;
  }

  /** Show this incident, loading it at once. */
  open(incidentId: string): void {
    if (incidentId !== this.incidentId) {
      this.incidentId = incidentId;
      this.detail = null;
      this.stepInputs.clear();
      this.signatures.clear();
      this.note.value = "";
      this.deskInput.value = "";
      this.kind.textContent = t("incident.kind");
      this.title.textContent = incidentId;
      replaceChildren(this.chips);
      replaceChildren(this.facts);
      replaceChildren(this.actions);
      replaceChildren(this.procedureSlot, h("p", { class: "muted" }, t("app.loading")));
      for (const slot of [this.alarmsSlot, this.evidenceSlot, this.timelineSlot]) replaceChildren(slot);
      this.pictures.clear();
      this.element.dataset.incidentId = incidentId;
    }
    this.element.hidden = false;
    void this.loader.now();
  }

  close(): void {
    if (this.incidentId === null) return;
    this.loader.stop();
    this.incidentId = null;
    this.detail = null;
    this.pictures.clear();
    this.element.hidden = true;
    this.options.closed();
  }

  /** Fetch the incident shown again (a change of it arrived on the live stream). */
  refresh(): void {
    if (this.incidentId !== null) void this.loader.now();
  }

  applyLanguage(): void {
    // The note form is out of the page while a viewer looks, or before the first load: translate it here.
    translateTree(this.noteForm);
    this.note.placeholder = t("incident.noteField");
    this.signatures.clear();
    this.render();
  }

  dispose(): void {
    this.loader.stop();
  }

  private async load(): Promise<void> {
    const incidentId = this.incidentId;
    if (incidentId === null) return;
    const request = ++this.request;
    try {
      const detail = await this.options.api.incident(incidentId);
      if (request !== this.request || incidentId !== this.incidentId) return;
      this.detail = detail;
      this.status.hidden = true;
      this.render();
    } catch (error) {
      if (request !== this.request || incidentId !== this.incidentId) return;
      if (error instanceof ApiError && error.status === 401) return;
      this.status.textContent = t("incident.loadFailed", { detail: describeFailure(error) });
      this.status.hidden = false;
    }
  }

  /** Redraw what changed since the last draw (each part keeps the signature of what it shows). */
  private render(): void {
    const detail = this.detail;
    if (detail === null) return;
    const { incident } = detail;
    const permissions = incidentPermissions(incident, this.options.role);
    this.element.dataset.state = incident.state;
    this.element.dataset.priority = String(incident.priority);
    this.element.classList.toggle("read-only", readOnly(permissions));
    // The whole incident, not `updated_at`: an action stamped by a clock behind the data's leaves it unchanged.
    const base = `${language()}|${JSON.stringify(incident)}|${this.busy}`;
    this.part("head", base, () => this.renderHead(incident));
    this.part("actions", `${base}|${this.options.desks().join(",")}`, () => this.renderActions(incident, permissions));
    this.part("procedure", `${language()}|${incident.state}|${JSON.stringify(detail.procedure)}`, () =>
      this.renderProcedureSlot(detail, permissions),
    );
    this.part("alarms", `${language()}|${detail.alarms.map((entry) => `${entry.alarm.id}:${entry.alarm.updated_at}`).join(",")}`, () =>
      this.renderAlarms(detail),
    );
    this.part("pictures", `${language()}|${detail.alarms.map((entry) => `${entry.alarm.id}:${entry.alarm.last_triggered_at}`).join(",")}`, () =>
      this.pictures.update(detail.alarms.map((entry) => entry.alarm)),
    );
    this.part("evidence", `${language()}|${detail.evidence.length}`, () => this.renderEvidence(detail));
    const last = detail.timeline[detail.timeline.length - 1];
    this.part("timeline", `${language()}|${this.newestFirst}|${detail.timeline.length}|${last?.id ?? ""}`, () =>
      this.renderTimeline(detail.timeline),
    );
    // A viewer gets no form at all (not a hidden one): the timeline is read-only.
    if (!permissions.note) this.noteForm.remove();
    else if (!this.noteForm.isConnected) this.timelineSlot.before(this.noteForm);
    this.noteSubmit.disabled = this.busy;
  }

  private part(name: string, signature: string, draw: () => void): void {
    if (this.signatures.get(name) === signature) return;
    this.signatures.set(name, signature);
    draw();
  }

  private renderHead(incident: IncidentOut): void {
    const { registry, now } = this.options;
    this.kind.textContent = `${t("incident.kind")} · ${label("incidentType", incident.type)}`;
    this.title.textContent = incident.title;
    replaceChildren(
      this.chips,
      h("span", { class: "prio", "data-priority": incident.priority }, `P${incident.priority} · ${label("priority", incident.priority)}`),
      h("span", { class: "state-chip", "data-incident-state": incident.state }, label("incidentState", incident.state)),
      incident.disposition === null
        ? null
        : h("span", { class: "disposition-chip", "data-disposition": incident.disposition }, label("disposition", incident.disposition)),
      incident.escalation_level > 0
        ? h("span", { class: "escalated-chip" }, t("incident.escalatedLevel", { n: incident.escalation_level }))
        : null,
    );
    const fact = (key: MessageKey, value: string | null): HTMLElement[] => [h("dt", {}, t(key)), h("dd", {}, value ?? t("details.unknown"))];
    replaceChildren(
      this.facts,
      ...fact("incident.place", incidentPlace(registry, incident) || null),
      ...fact("incident.opened", `${formatTime(incident.opened_at)} (${formatAge(incident.opened_at, now())})`),
      ...fact("incident.lastAlarm", formatTime(incident.last_alarm_at)),
      ...fact("incident.owner", incidentOwner(incident)),
      ...fact("incident.rule", incident.rule),
      ...fact(
        "incident.disposition",
        incident.disposition === null
          ? null
          : label("disposition", incident.disposition) + (incident.duplicate_of === null ? "" : ` → ${incident.duplicate_of}`),
      ),
      ...(incident.resolved_at === null ? [] : fact("incident.resolvedAt", formatTime(incident.resolved_at))),
    );
  }

  private renderActions(incident: IncidentOut, permissions: IncidentPermissions): void {
    const groups: HTMLElement[] = [];
    const button = (action: string, key: MessageKey, run: () => void, extra: Record<string, string | boolean | undefined> = {}) => {
      const element = text("button", key, { type: "button", class: "small", "data-incident-action": action, disabled: this.busy, ...extra });
      element.addEventListener("click", run);
      return element;
    };
    if (permissions.transitions.length > 0) {
      groups.push(
        h(
          "div",
          { class: "action-group", role: "group" },
          ...permissions.transitions.map((action) =>
            button(action, TRANSITION_KEYS[action], () => void this.transition(action), {
              class: action === "start" || action === "resolve" ? "small primary" : "small",
              title: action === "close" && incident.disposition === null ? t("incident.closeNeedsDisposition") : undefined,
            }),
          ),
        ),
      );
    }
    if (permissions.assign) {
      replaceChildren(this.deskList, ...this.options.desks().map((desk) => h("option", { value: desk })));
      groups.push(
        h(
          "div",
          { class: "action-group", role: "group" },
          incident.assignee === this.options.username ? null : button("assign-me", "incident.assignMe", () => void this.assign(this.options.username, null)),
          this.deskInput,
          button("assign-desk", "incident.assignDesk", () => {
            const desk = this.deskInput.value.trim();
            if (desk.length === 0) {
              this.options.toaster.show(t("incident.deskRequired"), "error");
              this.deskInput.focus();
              return;
            }
            void this.assign(null, desk);
          }),
        ),
      );
    }
    if (permissions.disposition) {
      groups.push(
        h(
          "div",
          { class: "action-group disposition-group", role: "group" },
          text("span", "incident.disposition", { class: "group-label" }),
          ...DISPOSITIONS.map((disposition) =>
            button(`disposition-${disposition}`, `disposition.${disposition}`, () => void this.setDisposition(incident, disposition), {
              "aria-pressed": String(incident.disposition === disposition),
            }),
          ),
        ),
      );
    }
    replaceChildren(this.actions, ...groups);
  }

  private renderProcedureSlot(detail: IncidentDetailOut, permissions: IncidentPermissions): void {
    const procedure = detail.procedure;
    if (procedure === null) {
      replaceChildren(this.procedureSlot, h("p", { class: "muted" }, t("procedure.none")));
      return;
    }
    // Forget the input of steps no longer pending (done or skipped, by anyone).
    for (const step of procedure.steps) if (step.status !== "pending") this.stepInputs.delete(step.id);
    replaceChildren(
      this.procedureSlot,
      renderProcedure(procedure, {
        canAct: permissions.procedure,
        inputs: this.stepInputs,
        complete: (stepId) => void this.completeStep(stepId),
        skip: (stepId) => void this.skipStep(stepId),
      }),
    );
  }

  private renderAlarms(detail: IncidentDetailOut): void {
    const alarms = detail.alarms.map((entry) => entry.alarm).sort(compareAlarms);
    replaceChildren(
      this.alarmsSlot,
      h("div", { class: "section-head" }, h("h3", {}, t("incident.alarms", { n: alarms.length }))),
      alarms.length === 0
        ? h("p", { class: "muted" }, t("incident.noAlarms"))
        : h(
            "ul",
            { class: "incident-alarms" },
            ...alarms.map((alarm) => {
              const type = label("alarmType", alarm.key.type);
              const link = h(
                "button",
                { type: "button", class: "link", "data-incident-alarm": alarm.id, title: alarm.message },
                alarm.message.length === 0 || alarm.message === type ? type : `${type} — ${alarm.message}`,
              );
              link.addEventListener("click", () => this.options.selectAlarm(alarm));
              return h(
                "li",
                { "data-alarm-state": alarm.state },
                h("span", { class: "prio", "data-priority": alarm.priority }, `P${alarm.priority}`),
                link,
                h("span", { class: "alarm-state", "data-state": alarm.state }, label("alarmState", alarm.state)),
                h("span", { class: "muted nowrap" }, formatTime(alarm.raised_at)),
              );
            }),
          ),
    );
  }

  private renderEvidence(detail: IncidentDetailOut): void {
    const alarms = new Map(detail.alarms.map((entry) => [entry.alarm.id, entry.alarm]));
    const reference = (evidence: EvidenceOut): HTMLElement => {
      if (evidence.kind === "link") return h("a", { href: evidence.ref, target: "_blank", rel: "noopener noreferrer" }, evidence.ref);
      const alarm = evidence.kind === "alarm" ? alarms.get(evidence.ref) : undefined;
      if (alarm === undefined) return h("span", { class: "mono" }, evidence.ref);
      const link = h("button", { type: "button", class: "link" }, `${label("alarmType", alarm.key.type)} · ${evidence.ref}`);
      link.addEventListener("click", () => this.options.selectAlarm(alarm));
      return link;
    };
    replaceChildren(
      this.evidenceSlot,
      h("div", { class: "section-head" }, h("h3", {}, t("incident.evidence", { n: detail.evidence.length }))),
      detail.evidence.length === 0
        ? h("p", { class: "muted" }, t("incident.noEvidence"))
        : h(
            "ul",
            { class: "evidence-list" },
            ...detail.evidence.map((evidence) =>
              h(
                "li",
                { "data-evidence-kind": evidence.kind },
                h("span", { class: "tag" }, label("evidenceKind", evidence.kind)),
                reference(evidence),
                h("span", { class: "muted nowrap" }, `${evidence.added_by} · ${formatTime(evidence.ts)}`),
                evidence.note.length > 0 ? h("span", { class: "evidence-note" }, evidence.note) : null,
              ),
            ),
          ),
    );
  }

  private renderTimeline(timeline: readonly TimelineEntryOut[]): void {
    this.timelineOrder.textContent = t(this.newestFirst ? "incident.newestFirst" : "incident.oldestFirst");
    this.timelineOrder.setAttribute("aria-pressed", String(this.newestFirst));
    replaceChildren(
      this.timelineSlot,
      h(
        "ol",
        { class: "timeline", "data-order": this.newestFirst ? "newest" : "oldest" },
        ...orderTimeline(timeline, this.newestFirst).map((entry) =>
          h(
            "li",
            { "data-timeline-kind": entry.kind, "data-timeline-id": entry.id },
            h("span", { class: "timeline-time nowrap" }, formatTime(entry.ts)),
            h("span", { class: "timeline-actor" }, entry.actor),
            h("span", { class: "timeline-kind" }, label("timelineKind", entry.kind)),
            h("span", { class: "timeline-text" }, entry.text),
          ),
        ),
      ),
    );
  }

  /** Run an action on the incident shown; on success a toast and its answer to the list; then a reload of the
   * drawer (a refused action may mean the incident changed). */
  private async act(name: string, run: (incidentId: string) => Promise<IncidentChangeOut>): Promise<boolean> {
    const incidentId = this.incidentId;
    if (incidentId === null || this.busy) return false;
    this.setBusy(true);
    try {
      const result = await run(incidentId);
      this.options.toaster.show(t("action.done", { action: name }));
      this.options.changed(result);
      return true;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) {
        this.options.toaster.show(t("action.failed", { action: name, detail: describeFailure(error) }), "error");
      }
      return false;
    } finally {
      this.setBusy(false);
      if (this.incidentId === incidentId) void this.loader.now();
    }
  }

  private setBusy(busy: boolean): void {
    this.busy = busy;
    this.element.setAttribute("aria-busy", String(busy));
    for (const button of this.element.querySelectorAll<HTMLButtonElement>("button[data-incident-action], button[data-step-action], #incident-note-submit")) {
      if (busy) button.disabled = true;
    }
    if (!busy) {
      this.signatures.delete("actions");
      this.signatures.delete("procedure");
      this.render();
    }
  }

  private transition(action: TransitionAction): Promise<boolean> {
    const { api } = this.options;
    return this.act(t(TRANSITION_KEYS[action]), (id) => api.transitionIncident(id, TRANSITION_TARGETS[action]));
  }

  private async assign(assignee: string | null, desk: string | null): Promise<void> {
    const done = await this.act(t(assignee === null ? "incident.assignDesk" : "incident.assignMe"), (id) =>
      this.options.api.assignIncident(id, assignee, desk),
    );
    if (done) this.deskInput.value = "";
  }

  private async setDisposition(incident: IncidentOut, disposition: Disposition): Promise<void> {
    let duplicateOf: string | null = null;
    if (disposition === "duplicate") {
      const others = this.options.incidents().filter((other) => other.id !== incident.id);
      duplicateOf = await askText(
        {
          title: "incident.duplicateTitle",
          subject: incident.title,
          field: "incident.duplicateOf",
          confirm: "incident.duplicateConfirm",
          required: "incident.duplicateRequired",
          inputId: "duplicate-of",
          confirmId: "duplicate-confirm",
          multiline: false,
          maxLength: 128,
          suggestions: others.map((other) => ({ value: other.id, label: `P${other.priority} · ${other.title}` })),
        },
        this.element,
      );
      if (duplicateOf === null) return;
    }
    await this.act(t(`disposition.${disposition}`), (id) => this.options.api.setDisposition(id, disposition, duplicateOf));
  }

  private async addNote(): Promise<void> {
    const note = this.note.value.trim();
    if (note.length === 0) {
      this.note.setAttribute("aria-invalid", "true");
      this.note.focus();
      return;
    }
    this.note.removeAttribute("aria-invalid");
    const done = await this.act(t("incident.addNote"), (id) => this.options.api.addIncidentNote(id, note));
    if (done) this.note.value = "";
  }

  private async completeStep(stepId: string): Promise<void> {
    const step = this.detail?.procedure?.steps.find((entry) => entry.id === stepId);
    if (step === undefined) return;
    const result = completionRequest(step, this.stepInputs.get(stepId) ?? { ticked: new Set(), choice: null });
    if (!result.ok) {
      this.options.toaster.show(t(result.missing[0] === "checklist" ? "procedure.missingChecklist" : "procedure.missingChoice"), "error");
      return;
    }
    const done = await this.act(t("procedure.completeStep"), (id) => this.options.api.completeStep(id, stepId, result.request));
    if (done) this.stepInputs.delete(stepId);
  }

  private async skipStep(stepId: string): Promise<void> {
    const step = this.detail?.procedure?.steps.find((entry) => entry.id === stepId);
    if (step === undefined || this.busy) return;
    const answer = await askText(
      {
        title: "procedure.skipTitle",
        subject: step.text,
        field: "procedure.justification",
        confirm: "procedure.skipConfirm",
        required: "procedure.justificationRequired",
        inputId: "skip-justification",
        confirmId: "skip-confirm",
        multiline: true,
        maxLength: MAX_STEP_TEXT,
      },
      this.element,
    );
    const justification = answer === null ? null : skipJustification(answer);
    if (justification === null) return;
    await this.act(t("procedure.skipStep"), (id) => this.options.api.skipStep(id, stepId, justification));
  }
}
