import { describe, expect, it } from "vitest";
import {
  completionRequest,
  EMPTY_INPUT,
  missingFor,
  procedureProgress,
  skipJustification,
  type StepInput,
  stepModels,
  stepTarget,
  withChoice,
  withTick,
} from "../src/procedure";
import type { ProcedureOut } from "../src/types";
import { step } from "./fixtures";

/** The default fire procedure after "verify" was answered "confirmed" (send_patrol and record_false_alarm skipped by
 * the branch). */
function fireProcedure(): ProcedureOut {
  return {
    procedure: "fire",
    title: "Fire",
    attached_at: 1000,
    complete: false,
    steps: [
      step({
        id: "verify",
        choices: [
          { id: "confirmed", label: "Confirmed", next: "alert" },
          { id: "not_seen", label: "Nothing seen", next: "patrol" },
        ],
        status: "done",
        choice: "confirmed",
        actor: "alice",
        ts: 1010,
      }),
      step({ id: "patrol", applicable: false }),
      step({ id: "record", applicable: false, next: "end" }),
      step({ id: "alert", checklist: ["Brigade called", "Officer informed"], current: true }),
      step({ id: "meet", required: false }),
      step({ id: "debrief", status: "skipped", actor: "bob", ts: 1020, justification: "done on site" }),
    ],
  };
}

describe("procedure steps as drawn", () => {
  it("numbers the steps and gives each its phase", () => {
    const models = stepModels(fireProcedure(), true);
    expect(models.map((model) => [model.number, model.id, model.phase])).toEqual([
      [1, "verify", "done"],
      [2, "patrol", "not_applicable"],
      [3, "record", "not_applicable"],
      [4, "alert", "current"],
      [5, "meet", "pending"],
      [6, "debrief", "skipped"],
    ]);
  });

  it("lets an operator act only on pending steps on the path", () => {
    const models = stepModels(fireProcedure(), true);
    expect(models.filter((model) => model.actionable).map((model) => model.id)).toEqual(["alert", "meet"]);
  });

  it("lets nobody act when the role or the incident does not allow it", () => {
    const models = stepModels(fireProcedure(), false);
    expect(models.some((model) => model.actionable)).toBe(false);
    expect(models.every((model) => model.missing.length === 0)).toBe(true);
  });

  it("shows the choice made and where each choice leads", () => {
    const verify = stepModels(fireProcedure(), true)[0]!;
    expect(verify.chosenLabel).toBe("Confirmed");
    expect(verify.choices.map((choice) => [choice.id, choice.chosen, choice.leadsTo])).toEqual([
      ["confirmed", true, { kind: "step", id: "alert", number: 4 }],
      ["not_seen", false, { kind: "step", id: "patrol", number: 2 }],
    ]);
  });

  it("ticks a pending checklist from the operator's input and says what is missing", () => {
    const procedure = fireProcedure();
    let input: StepInput = EMPTY_INPUT;
    let alert = stepModels(procedure, true, new Map([["alert", input]]))[3]!;
    expect(alert.checklist.map((item) => item.checked)).toEqual([false, false]);
    expect(alert.missing).toEqual(["checklist"]);
    input = withTick(withTick(input, 0, true), 1, true);
    alert = stepModels(procedure, true, new Map([["alert", input]]))[3]!;
    expect(alert.checklist.map((item) => item.checked)).toEqual([true, true]);
    expect(alert.missing).toEqual([]);
    input = withTick(input, 0, false);
    expect(stepModels(procedure, true, new Map([["alert", input]]))[3]!.missing).toEqual(["checklist"]);
    expect(EMPTY_INPUT.ticked.size).toBe(0);
  });

  it("shows a done step's own ticks, not the operator's input", () => {
    const procedure: ProcedureOut = {
      ...fireProcedure(),
      steps: [step({ id: "x", checklist: ["a", "b"], status: "done", checked: [1] })],
    };
    const model = stepModels(procedure, true, new Map([["x", withTick(EMPTY_INPUT, 0, true)]]))[0]!;
    expect(model.checklist.map((item) => item.checked)).toEqual([false, true]);
  });

  it("counts done, skipped and pending steps on the path", () => {
    expect(procedureProgress(fireProcedure())).toEqual({ done: 1, skipped: 1, pending: 2, pendingRequired: 1 });
  });
});

describe("step targets", () => {
  const steps = [{ id: "a" }, { id: "b" }, { id: "c" }];

  it("follows next, the following step, or the end", () => {
    expect(stepTarget(steps, 0, "")).toEqual({ kind: "step", id: "b", number: 2 });
    expect(stepTarget(steps, 0, "c")).toEqual({ kind: "step", id: "c", number: 3 });
    expect(stepTarget(steps, 0, "end")).toEqual({ kind: "end" });
    expect(stepTarget(steps, 2, "")).toEqual({ kind: "end" });
    expect(stepTarget(steps, 0, "nowhere")).toEqual({ kind: "end" });
  });
});

describe("the requests of a step's buttons", () => {
  const branching = step({
    id: "verify",
    checklist: ["Cameras checked"],
    choices: [
      { id: "yes", label: "Yes", next: "" },
      { id: "no", label: "No", next: "end" },
    ],
  });

  it("needs every item ticked and a known choice", () => {
    expect(missingFor(branching, EMPTY_INPUT)).toEqual(["checklist", "choice"]);
    expect(missingFor(branching, withChoice(EMPTY_INPUT, "maybe"))).toEqual(["checklist", "choice"]);
    expect(completionRequest(branching, withChoice(EMPTY_INPUT, "yes"))).toEqual({ ok: false, missing: ["checklist"] });
  });

  it("sends the choice, the ticked items in order and the note", () => {
    const input = withChoice(withTick(EMPTY_INPUT, 0, true), "no");
    expect(completionRequest(branching, input, "  seen on cam 3 ")).toEqual({
      ok: true,
      request: { choice: "no", checked: [0], note: "seen on cam 3" },
    });
    const plain = step({ id: "p", checklist: ["a", "b"] });
    const ticked = withTick(withTick(withTick(EMPTY_INPUT, 1, true), 0, true), 7, true);
    expect(completionRequest(plain, ticked)).toEqual({ ok: true, request: { choice: null, checked: [0, 1], note: "" } });
    expect(completionRequest(step({ id: "q" }), EMPTY_INPUT)).toEqual({ ok: true, request: { choice: null, checked: [], note: "" } });
  });

  it("requires a justification to skip", () => {
    expect(skipJustification("   ")).toBeNull();
    expect(skipJustification("  the patrol is on site ")).toBe("the patrol is on site");
    expect(skipJustification("x".repeat(3000))).toHaveLength(2000);
  });
});
