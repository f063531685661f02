import { afterEach, describe, expect, it } from "vitest";
import { setLanguage } from "../src/i18n";
import {
  completionRequest,
  EMPTY_INPUT,
  type LocalisedProcedure,
  type LocalisedStep,
  localText,
  missingFor,
  procedureProgress,
  procedureTitle,
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

/** The fire procedure as the API sends it with its French translations: the alert's second item and the
 * "not_seen" label are not translated. */
function bilingualFire(): LocalisedProcedure {
  const procedure = fireProcedure();
  return {
    ...procedure,
    language: "en",
    translations: { fr: { title: "Incendie" } },
    steps: procedure.steps.map((entry): LocalisedStep => {
      if (entry.id === "verify") {
        return { ...entry, text: "Look at the cameras", translations: { fr: { text: "Levée de doute", checklist: [], choices: { confirmed: "Confirmé" } } } };
      }
      if (entry.id === "alert") {
        return {
          ...entry,
          text: "Call the fire brigade",
          translations: { fr: { text: "Appeler les sapeurs-pompiers (18 / 112)", checklist: ["Sapeurs-pompiers appelés", ""], choices: {} } },
        };
      }
      return entry;
    }),
  };
}

describe("procedure texts in the interface's language", () => {
  afterEach(() => setLanguage("fr"));

  it("reads the title, texts, checklist items and labels in French where translated, else in English", () => {
    const procedure = bilingualFire();
    expect(procedureTitle(procedure, "fr")).toBe("Incendie");
    const [verify, , , alert, meet] = stepModels(procedure, true, new Map(), "fr");
    expect(verify!.text).toBe("Levée de doute");
    expect(verify!.choices.map((choice) => choice.label)).toEqual(["Confirmé", "Nothing seen"]);
    expect(verify!.chosenLabel).toBe("Confirmé");
    expect(alert!.text).toBe("Appeler les sapeurs-pompiers (18 / 112)");
    expect(alert!.checklist.map((item) => item.label)).toEqual(["Sapeurs-pompiers appelés", "Officer informed"]);
    expect(meet!.text).toBe("Do meet"); // no translation at all
  });

  it("reads the procedure's own texts in English", () => {
    const procedure = bilingualFire();
    expect(procedureTitle(procedure, "en")).toBe("Fire");
    const [verify, , , alert] = stepModels(procedure, true, new Map(), "en");
    expect([verify!.text, verify!.chosenLabel, alert!.checklist[0]!.label]).toEqual(["Look at the cameras", "Confirmed", "Brigade called"]);
  });

  it("follows the interface's language by default", () => {
    const procedure = bilingualFire();
    setLanguage("fr");
    expect([procedureTitle(procedure), stepModels(procedure, true)[0]!.text]).toEqual(["Incendie", "Levée de doute"]);
    setLanguage("en");
    expect([procedureTitle(procedure), stepModels(procedure, true)[0]!.text]).toEqual(["Fire", "Look at the cameras"]);
  });

  it("ticks by index and chooses by id whatever the language", () => {
    const procedure = bilingualFire();
    const input = withChoice(withTick(withTick(EMPTY_INPUT, 1, true), 0, true), "confirmed");
    const inputs = new Map([["alert", input]]);
    const [french, english] = (["fr", "en"] as const).map((wanted) => stepModels(procedure, true, inputs, wanted)[3]!);
    expect(french!.checklist.map((item) => [item.index, item.checked])).toEqual(english!.checklist.map((item) => [item.index, item.checked]));
    expect(french!.missing).toEqual([]);
    expect(completionRequest(procedure.steps[3]!, input)).toEqual({ ok: true, request: { choice: null, checked: [0, 1], note: "" } });
  });

  it("falls back to English, then to the procedure's own language", () => {
    // A procedure written in French with English translations, shown in English and in French.
    const french: LocalisedProcedure = {
      ...fireProcedure(),
      title: "Incendie",
      language: "fr",
      translations: { en: { title: "Fire" } },
      steps: [{ ...step({ id: "verify", text: "Regarder les caméras" }), translations: { en: { text: "Look at the cameras", checklist: [], choices: {} } } }],
    };
    expect([procedureTitle(french, "en"), procedureTitle(french, "fr")]).toEqual(["Fire", "Incendie"]);
    expect(stepModels(french, true, new Map(), "en")[0]!.text).toBe("Look at the cameras");
    expect(stepModels(french, true, new Map(), "fr")[0]!.text).toBe("Regarder les caméras");
    // French wanted, only English translated: English; nothing translated: as written.
    expect(localText("Fire", "en", "fr", () => undefined)).toBe("Fire");
    expect(localText("Feuer", "de", "fr", (language) => (language === "en" ? "Fire" : ""))).toBe("Fire");
    expect(localText("Feuer", "de", "fr", () => "")).toBe("Feuer");
  });

  it("shows a procedure from a server that sends no translations as it is", () => {
    const plain = fireProcedure();
    expect(procedureTitle(plain, "fr")).toBe("Fire");
    expect(stepModels(plain, true, new Map(), "fr")[0]!.choices.map((choice) => choice.label)).toEqual(["Confirmed", "Nothing seen"]);
  });
});
