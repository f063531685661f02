/**
 * An incident's procedure (SOP) as the console draws it, without the DOM: its title and each step's number, phase,
 * text, checklist (the server's ticks once done, the operator's own ticks while pending), choices and where each
 * leads, whether the operator can complete or skip it and what is still missing; and the requests the step's
 * buttons send. Texts read in the interface's language when the procedure has them in it, else in English, else in
 * the procedure's own language; checklist items are ticked by index and choices made by id, whatever the language.
 */

import type { CompleteStepRequest } from "./api";
import { language as interfaceLanguage } from "./i18n";
import type { Language, ProcedureOut, StepOut, StepStatus } from "./types";

/** A step's texts in one more language: checklist items by index ("" where not translated), labels by choice id. */
export interface StepTranslation {
  text: string;
  checklist: string[];
  choices: Record<string, string>;
}

/** A procedure's title in one more language. */
export interface ProcedureTranslation {
  title: string;
}

/** A step with its texts in the procedure's other languages (absent from a server that sends none). */
export type LocalisedStep = StepOut & { translations?: Partial<Record<Language, StepTranslation>> };

/**
 * A procedure as the API sends it: its texts in `language` (English when absent) and in the other languages under
 * the `translations` of the procedure (title) and of each step.
 */
export type LocalisedProcedure = Omit<ProcedureOut, "steps"> & {
  language?: string;
  translations?: Partial<Record<Language, ProcedureTranslation>>;
  steps: LocalisedStep[];
};

/** The language the console falls back to when a text is not in the interface's. */
export const FALLBACK_LANGUAGE: Language = "en";

/**
 * A text in `wanted` if the procedure has it, else in English, else as written (`base`, in `written`, the
 * procedure's language). `translated` gives the text in another language ("" or undefined: not translated).
 */
export function localText(
  base: string,
  written: string | undefined,
  wanted: Language,
  translated: (language: Language) => string | undefined,
): string {
  const own = written ?? FALLBACK_LANGUAGE;
  for (const language of wanted === FALLBACK_LANGUAGE ? [wanted] : [wanted, FALLBACK_LANGUAGE]) {
    if (language === own) return base;
    const text = translated(language);
    if (text !== undefined && text.trim() !== "") return text;
  }
  return base;
}

/** The procedure's title in `wanted` (default: the interface's language). */
export function procedureTitle(procedure: LocalisedProcedure, wanted: Language = interfaceLanguage()): string {
  return localText(procedure.title, procedure.language, wanted, (language) => procedure.translations?.[language]?.title);
}

/** A step's text, checklist items and choice labels (by id) in `wanted`, falling back as `localText` does. */
export function stepTexts(
  step: LocalisedStep,
  written: string | undefined,
  wanted: Language,
): { text: string; checklist: string[]; choices: Map<string, string> } {
  const pick = (base: string, translated: (translation: StepTranslation) => string | undefined) =>
    localText(base, written, wanted, (language) => {
      const translation = step.translations?.[language];
      return translation === undefined ? undefined : translated(translation);
    });
  return {
    text: pick(step.text, (translation) => translation.text),
    checklist: step.checklist.map((item, index) => pick(item, (translation) => translation.checklist[index])),
    choices: new Map(step.choices.map((choice) => [choice.id, pick(choice.label, (translation) => translation.choices[choice.id])])),
  };
}

/** The most characters a justification or a note may have (the API's limit). */
export const MAX_STEP_TEXT = 2000;

/** What the operator entered on a pending step and has not sent yet. */
export interface StepInput {
  ticked: ReadonlySet<number>;
  choice: string | null;
}

export const EMPTY_INPUT: StepInput = { ticked: new Set(), choice: null };

/** How a step reads: done, skipped, the current one, pending further on, or off the path the choices took. */
export type StepPhase = "done" | "skipped" | "current" | "pending" | "not_applicable";

export interface ChecklistItemModel {
  index: number;
  label: string;
  checked: boolean;
}

/** Where a choice (or a step) leads: the end of the procedure, or a step by its number. */
export type StepTarget = { kind: "end" } | { kind: "step"; id: string; number: number };

export interface ChoiceModel {
  id: string;
  label: string;
  /** Chosen: made (done step) or picked by the operator (pending step). */
  chosen: boolean;
  leadsTo: StepTarget;
}

/** What a pending step still needs before "complete" can be sent. */
export type StepMissing = "checklist" | "choice";

export interface StepModel {
  id: string;
  /** 1-based position in the procedure. */
  number: number;
  text: string;
  required: boolean;
  status: StepStatus;
  phase: StepPhase;
  checklist: ChecklistItemModel[];
  choices: ChoiceModel[];
  /** The label of the choice made, once done. */
  chosenLabel: string | null;
  /** The operator may complete or skip it (pending, on the path, and the role and incident allow). */
  actionable: boolean;
  /** What is missing to complete it, in the operator's input (empty: ready). */
  missing: StepMissing[];
  actor: string | null;
  ts: number | null;
  justification: string;
  note: string;
}

/** Where a step's `next` (or a choice's) leads from position `position` of `steps`. */
export function stepTarget(steps: readonly Pick<StepOut, "id">[], position: number, next: string): StepTarget {
  if (next === "end") return { kind: "end" };
  const index = next === "" ? position + 1 : steps.findIndex((step) => step.id === next);
  const step = steps[index];
  if (index < 0 || step === undefined) return { kind: "end" };
  return { kind: "step", id: step.id, number: index + 1 };
}

function phaseOf(step: StepOut): StepPhase {
  if (step.status === "done") return "done";
  if (step.status === "skipped") return "skipped";
  if (!step.applicable) return "not_applicable";
  return step.current ? "current" : "pending";
}

/** What `input` still lacks to complete `step`: every checklist item ticked, and a choice when it branches. */
export function missingFor(step: Pick<StepOut, "checklist" | "choices">, input: StepInput): StepMissing[] {
  const missing: StepMissing[] = [];
  if (step.checklist.some((_, index) => !input.ticked.has(index))) missing.push("checklist");
  if (step.choices.length > 0 && (input.choice === null || !step.choices.some((choice) => choice.id === input.choice))) {
    missing.push("choice");
  }
  return missing;
}

/**
 * The procedure's steps as the console draws them. `canAct`: the role and the incident's state let the operator
 * work the procedure; `inputs`: the operator's unsent ticks and choices per step id; `wanted`: the language to
 * read the texts in (default: the interface's).
 */
export function stepModels(
  procedure: LocalisedProcedure,
  canAct: boolean,
  inputs: ReadonlyMap<string, StepInput> = new Map(),
  wanted: Language = interfaceLanguage(),
): StepModel[] {
  const { steps } = procedure;
  return steps.map((step, position) => {
    const pending = step.status === "pending";
    const input = inputs.get(step.id) ?? EMPTY_INPUT;
    const actionable = canAct && pending && step.applicable;
    const done = new Set(step.checked);
    const texts = stepTexts(step, procedure.language, wanted);
    return {
      id: step.id,
      number: position + 1,
      text: texts.text,
      required: step.required,
      status: step.status,
      phase: phaseOf(step),
      checklist: texts.checklist.map((label, index) => ({
        index,
        label,
        checked: pending ? input.ticked.has(index) : done.has(index),
      })),
      choices: step.choices.map((choice) => ({
        id: choice.id,
        label: texts.choices.get(choice.id) ?? choice.label,
        chosen: pending ? input.choice === choice.id : step.choice === choice.id,
        leadsTo: stepTarget(steps, position, choice.next),
      })),
      chosenLabel: step.choice === null ? null : (texts.choices.get(step.choice) ?? step.choice),
      actionable,
      missing: actionable ? missingFor(step, input) : [],
      actor: step.actor,
      ts: step.ts,
      justification: step.justification,
      note: step.note,
    };
  });
}

/** How far the procedure went: steps done, skipped, and still pending on the path. */
export interface ProcedureProgress {
  done: number;
  skipped: number;
  pending: number;
  /** Required steps on the path not done or skipped yet (the incident cannot be resolved before). */
  pendingRequired: number;
}

export function procedureProgress(procedure: ProcedureOut): ProcedureProgress {
  const progress: ProcedureProgress = { done: 0, skipped: 0, pending: 0, pendingRequired: 0 };
  for (const step of procedure.steps) {
    if (step.status === "done") progress.done += 1;
    else if (step.status === "skipped") progress.skipped += 1;
    else if (step.applicable) {
      progress.pending += 1;
      if (step.required) progress.pendingRequired += 1;
    }
  }
  return progress;
}

/** The body of "complete step", or what is missing first. */
export function completionRequest(
  step: Pick<StepOut, "checklist" | "choices">,
  input: StepInput,
  note = "",
): { ok: true; request: CompleteStepRequest } | { ok: false; missing: StepMissing[] } {
  const missing = missingFor(step, input);
  if (missing.length > 0) return { ok: false, missing };
  return {
    ok: true,
    request: {
      choice: step.choices.length > 0 ? input.choice : null,
      checked: [...input.ticked].filter((index) => index >= 0 && index < step.checklist.length).sort((a, b) => a - b),
      note: note.trim().slice(0, MAX_STEP_TEXT),
    },
  };
}

/** A skip's justification trimmed, or null when there is none (it is required). */
export function skipJustification(text: string): string | null {
  const trimmed = text.trim();
  return trimmed.length === 0 ? null : trimmed.slice(0, MAX_STEP_TEXT);
}

/** The input with item `index` ticked or not (a new value: inputs are kept immutable). */
export function withTick(input: StepInput, index: number, ticked: boolean): StepInput {
  const next = new Set(input.ticked);
  if (ticked) next.add(index);
  else next.delete(index);
  return { ticked: next, choice: input.choice };
}

export function withChoice(input: StepInput, choice: string | null): StepInput {
  return { ticked: input.ticked, choice };
}
