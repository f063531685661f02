/**
 * An incident's procedure (SOP) drawn from `stepModels`: the steps in order, each `[data-step-id]` with
 * `data-status` (pending, done, skipped) and `data-phase`, its checklist to tick (`input[data-check-index]`), its
 * branching choices (`input[data-choice-id]`, each saying where it leads), who did it and when, and for an operator
 * `button[data-step-action=complete|skip]`. The operator's unsent ticks and choices live in `inputs`, so a refresh
 * from the server keeps them.
 */

import { formatTime, label, type MessageKey, t } from "../i18n";
import {
  EMPTY_INPUT,
  procedureProgress,
  procedureTitle,
  type StepInput,
  type StepMissing,
  type StepModel,
  stepModels,
  type StepTarget,
  withChoice,
  withTick,
} from "../procedure";
import type { ProcedureOut } from "../types";
import { h, text } from "./dom";

const MISSING_KEYS: Record<StepMissing, MessageKey> = {
  checklist: "procedure.missingChecklist",
  choice: "procedure.missingChoice",
};

export interface ProcedureViewOptions {
  canAct: boolean;
  /** The operator's unsent input per step id (kept by the owner across refreshes). */
  inputs: Map<string, StepInput>;
  complete: (stepId: string) => void;
  skip: (stepId: string) => void;
}

function targetText(target: StepTarget): string {
  return target.kind === "end" ? t("procedure.toEnd") : t("procedure.toStep", { n: target.number });
}

/** The procedure's section: title, progress, and the steps. */
export function renderProcedure(procedure: ProcedureOut, options: ProcedureViewOptions): HTMLElement {
  const progress = procedureProgress(procedure);
  const list = h("ol", { class: "procedure-steps" });
  const draw = (model: StepModel): HTMLElement => renderStep(model, options, redraw);
  const redraw = (stepId: string, focus: string | null) => {
    const model = stepModels(procedure, options.canAct, options.inputs).find((step) => step.id === stepId);
    const old = list.querySelector<HTMLElement>(`[data-step-id="${CSS.escape(stepId)}"]`);
    if (model === undefined || old === null) return;
    const fresh = draw(model);
    old.replaceWith(fresh);
    if (focus !== null) fresh.querySelector<HTMLElement>(focus)?.focus();
  };
  for (const model of stepModels(procedure, options.canAct, options.inputs)) list.append(draw(model));
  return h(
    "section",
    { class: "procedure", "data-procedure": procedure.procedure, "data-complete": String(procedure.complete) },
    h(
      "div",
      { class: "section-head" },
      h("h3", {}, t("procedure.title", { title: procedureTitle(procedure) })),
      h(
        "span",
        { class: procedure.complete ? "procedure-progress complete" : "procedure-progress" },
        procedure.complete
          ? t("procedure.complete")
          : t("procedure.progress", { done: progress.done, skipped: progress.skipped, pending: progress.pending }),
      ),
    ),
    list,
  );
}

function renderStep(
  model: StepModel,
  options: ProcedureViewOptions,
  redraw: (stepId: string, focus: string | null) => void,
): HTMLElement {
  const input = options.inputs.get(model.id) ?? EMPTY_INPUT;
  const setInput = (next: StepInput, focus: string) => {
    options.inputs.set(model.id, next);
    redraw(model.id, focus);
  };
  const editable = model.actionable;

  const checklist =
    model.checklist.length === 0
      ? null
      : h(
          "ul",
          { class: "step-checklist" },
          ...model.checklist.map((item) => {
            const box = h("input", {
              type: "checkbox",
              "data-check-index": item.index,
              checked: item.checked,
              disabled: !editable,
            });
            box.addEventListener("change", () =>
              setInput(withTick(input, item.index, box.checked), `[data-check-index="${item.index}"]`),
            );
            return h("li", {}, h("label", { class: item.checked ? "checked" : undefined }, box, h("span", {}, item.label)));
          }),
        );

  const choices =
    model.choices.length === 0
      ? null
      : h(
          "div",
          { class: "step-choices", role: "radiogroup" },
          ...model.choices.map((choice) => {
            const radio = h("input", {
              type: "radio",
              name: `choice-${model.id}`,
              value: choice.id,
              "data-choice-id": choice.id,
              checked: choice.chosen,
              disabled: !editable,
            });
            radio.addEventListener("change", () => {
              if (radio.checked) setInput(withChoice(input, choice.id), `[data-choice-id="${CSS.escape(choice.id)}"]`);
            });
            return h(
              "label",
              { class: choice.chosen ? "step-choice chosen" : "step-choice" },
              radio,
              h("span", {}, choice.label),
              h("span", { class: "choice-target" }, targetText(choice.leadsTo)),
            );
          }),
        );

  let outcome: HTMLElement | null = null;
  if (model.status === "done") {
    outcome = h(
      "p",
      { class: "step-outcome" },
      t("procedure.doneBy", { actor: model.actor ?? "?", time: model.ts === null ? "" : formatTime(model.ts) }),
      model.chosenLabel === null ? null : h("span", { class: "step-chosen" }, ` — ${model.chosenLabel}`),
      model.note.length > 0 ? h("span", { class: "muted" }, ` — ${model.note}`) : null,
    );
  } else if (model.status === "skipped") {
    outcome = h(
      "p",
      { class: "step-outcome skipped" },
      t("procedure.skippedBy", { actor: model.actor ?? "?", time: model.ts === null ? "" : formatTime(model.ts) }),
      h("span", { class: "step-justification" }, ` — ${model.justification}`),
    );
  }

  let actions: HTMLElement | null = null;
  if (editable) {
    const complete = text("button", "procedure.completeStep", {
      type: "button",
      class: "primary small",
      "data-step-action": "complete",
      disabled: model.missing.length > 0,
    });
    complete.addEventListener("click", () => options.complete(model.id));
    const skip = text("button", "procedure.skipStep", { type: "button", class: "ghost small", "data-step-action": "skip" });
    skip.addEventListener("click", () => options.skip(model.id));
    actions = h(
      "div",
      { class: "step-actions" },
      complete,
      skip,
      model.missing.length === 0 ? null : h("span", { class: "step-missing" }, model.missing.map((missing) => t(MISSING_KEYS[missing])).join(" ")),
    );
  }

  return h(
    "li",
    {
      class: `step phase-${model.phase}`,
      "data-step-id": model.id,
      "data-status": model.status,
      "data-phase": model.phase,
      "aria-current": model.phase === "current" ? "step" : undefined,
    },
    h(
      "div",
      { class: "step-head" },
      h("span", { class: "step-number" }, String(model.number)),
      h("p", { class: "step-text" }, model.text),
      h(
        "span",
        { class: "step-tags" },
        model.required ? null : text("span", "procedure.optional", { class: "tag" }),
        model.phase === "not_applicable"
          ? text("span", "procedure.notApplicable", { class: "tag" })
          : h("span", { class: "tag step-status", "data-status": model.status }, label("stepStatus", model.status)),
      ),
    ),
    model.phase === "not_applicable" ? null : checklist,
    model.phase === "not_applicable" ? null : choices,
    outcome,
    actions,
  );
}
