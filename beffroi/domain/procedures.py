"""Procedures (SOP) attached to incidents: their steps, branches and each step's progress, as pure values.

A procedure is an ordered list of steps. A step goes on to the step named by `next`, or to the following one
when `next` is empty, or ends the procedure when `next` is `end`. A step with `choices` branches: completing it
picks a choice, and the choice's `next` says where to go. Targets always lie further down the list, so a
procedure has no loop. The *path* is the steps reached from the first one given the choices made so far; it
stops after a branching step not answered yet. Steps off the path are not applicable.

Texts are written in the procedure's `language` (a step's text, its checklist items, its choices' labels, the
title), and `translations` carry them in the other languages of the console, keyed by language: what a translation
leaves empty is shown in the procedure's language. Checklist items and choices are identified by index and id,
never by their text, so ticking and choosing do not depend on the language.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

END = "end"
"""The `next` of a step or a choice that ends the procedure."""
LANGUAGES: tuple[str, ...] = ("en", "fr")
"""The languages a procedure's texts may be written in: those of the console."""
DEFAULT_LANGUAGE = "en"
"""The language of a procedure's texts unless its file says otherwise, and the console's fallback."""


class StepChoice(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One answer of a branching step, and the step it leads to (`end` ends the procedure)."""

    id: str
    label: str
    next: str = ""


class StepTranslation(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A step's texts in one more language: its text, its checklist items (by index, "" for one not translated) and
    its choices' labels (by choice id); what is empty or missing reads in the procedure's language."""

    text: str = ""
    checklist: tuple[str, ...] = ()
    choices: dict[str, str] = msgspec.field(default_factory=dict)


class ProcedureTranslation(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A procedure's title in one more language ("": not translated)."""

    title: str = ""


class ProcedureStep(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One step: what to do, whether it is required, its checklist items, where it leads, and its texts in the
    other languages (by language)."""

    id: str
    text: str
    required: bool = True
    checklist: tuple[str, ...] = ()
    choices: tuple[StepChoice, ...] = ()
    next: str = ""
    translations: dict[str, StepTranslation] = msgspec.field(default_factory=dict)

    def target(self, choice: str | None) -> str:
        """Where the step leads once done with `choice` (or skipped, `choice` None: its `next`, else the first
        choice's): a step id, `end`, or "" for the following step."""
        if self.choices and choice is not None:
            for option in self.choices:
                if option.id == choice:
                    return option.next
        if self.choices and not self.next:
            return self.choices[0].next
        return self.next


class StepStatus(StrEnum):
    """Where one step of an incident's procedure is."""

    PENDING = "pending"
    DONE = "done"
    SKIPPED = "skipped"


class StepProgress(msgspec.Struct, frozen=True):
    """What was done with one step: by whom and when, the choice made, the checklist items ticked (by index), the
    justification of a skip, a note."""

    step_id: str
    status: StepStatus = StepStatus.PENDING
    choice: str | None = None
    checked: tuple[int, ...] = ()
    actor: str | None = None
    ts: float | None = None
    justification: str = ""
    note: str = ""


class ProcedureRun(msgspec.Struct, frozen=True):
    """A procedure attached to one incident: its definition as it was when attached (texts in `language`, the title
    in other languages in `translations`), and each step's progress (in the steps' order)."""

    tenant_id: str
    incident_id: str
    procedure: str
    title: str
    attached_at: float
    steps: tuple[ProcedureStep, ...]
    progress: tuple[StepProgress, ...]
    language: str = DEFAULT_LANGUAGE
    translations: dict[str, ProcedureTranslation] = msgspec.field(default_factory=dict)

    def step(self, step_id: str) -> tuple[ProcedureStep, StepProgress] | None:
        """The step with this id and its progress, or None."""
        for step, progress in zip(self.steps, self.progress, strict=True):
            if step.id == step_id:
                return step, progress
        return None

    def with_progress(self, updated: StepProgress) -> ProcedureRun:
        """The run with one step's progress replaced."""
        progress = tuple(updated if item.step_id == updated.step_id else item for item in self.progress)
        return msgspec.structs.replace(self, progress=progress)

    def path(self) -> list[str]:
        """The ids of the steps reached so far, in order (see the module's docstring)."""
        index = {step.id: position for position, step in enumerate(self.steps)}
        reached: list[str] = []
        position = 0
        while 0 <= position < len(self.steps):
            step, progress = self.steps[position], self.progress[position]
            reached.append(step.id)
            if step.choices and progress.status is StepStatus.PENDING:
                break  # the branch is not known yet
            chosen = progress.choice if progress.status is StepStatus.DONE else None
            target = step.target(chosen)
            if target == END:
                break
            position = index[target] if target else position + 1
        return reached

    def pending_required(self) -> list[str]:
        """The required steps on the path not done or skipped yet."""
        on_path = set(self.path())
        return [
            step.id
            for step, progress in zip(self.steps, self.progress, strict=True)
            if step.id in on_path and step.required and progress.status is StepStatus.PENDING
        ]


class StepView(msgspec.Struct, frozen=True):
    """A step as an operator sees it: its definition, its progress, and whether it applies (on the path)."""

    id: str
    text: str
    required: bool
    checklist: tuple[str, ...]
    choices: tuple[StepChoice, ...]
    next: str
    translations: dict[str, StepTranslation]
    status: StepStatus
    applicable: bool
    current: bool
    choice: str | None
    checked: tuple[int, ...]
    actor: str | None
    ts: float | None
    justification: str
    note: str


class ProcedureView(msgspec.Struct, frozen=True):
    """An incident's procedure as the console shows it: every step, which apply, which is current; texts in
    `language` and in the other languages (`translations`, the console picks its own)."""

    procedure: str
    title: str
    language: str
    translations: dict[str, ProcedureTranslation]
    attached_at: float
    complete: bool
    steps: tuple[StepView, ...]


def view(run: ProcedureRun) -> ProcedureView:
    """The run with each step marked applicable (on the path) and the first pending applicable step current."""
    on_path = set(run.path())
    current: str | None = None
    for step, progress in zip(run.steps, run.progress, strict=True):
        if step.id in on_path and progress.status is StepStatus.PENDING:
            current = step.id
            break
    steps = tuple(
        StepView(
            id=step.id,
            text=step.text,
            required=step.required,
            checklist=step.checklist,
            choices=step.choices,
            next=step.next,
            translations=step.translations,
            status=progress.status,
            applicable=step.id in on_path,
            current=step.id == current,
            choice=progress.choice,
            checked=progress.checked,
            actor=progress.actor,
            ts=progress.ts,
            justification=progress.justification,
            note=progress.note,
        )
        for step, progress in zip(run.steps, run.progress, strict=True)
    )
    return ProcedureView(
        run.procedure, run.title, run.language, run.translations, run.attached_at, current is None, steps
    )
