"""Procedures (SOP) from YAML, attached to incidents by type, and the operator's progress through their steps.

A file lists procedures; each names the incident types it serves, and the library falls back on the procedure
named `fallback` (default `generic`) for any other type. Steps are checked when the file is read: unique ids,
`next` and choice targets naming a later step (or `end`), so a procedure can neither loop nor dangle.

Every text (a title, a step's text, a checklist item, a choice's label) is either a plain string, in the file's
`language` (default `en`), or a mapping from language to text that holds the file's language and may add the other
languages of the console (`en`, `fr`). An unknown language, a missing text in the file's language or an empty one
is refused with its key path. The texts in other languages become the definition's `translations`.

Completing a step needs every checklist item ticked and, for a branching step, a choice; skipping one needs a
justification (the worker then notifies the supervisors). Only pending steps on the path can be acted on.

Example::

    language: en
    procedures:
      - name: fire
        title: {en: Fire, fr: Incendie}
        incident_types: [fire]
        steps:
          - id: verify
            text: {en: Look at the zone's cameras, fr: Regarder les caméras de la zone}
            choices:
              - {id: confirmed, label: {en: Smoke or flames seen, fr: Fumée ou flammes vues}, next: evacuate}
              - {id: not_seen, label: Nothing seen, next: patrol}
          - {id: patrol, text: Send a patrol to the detector, next: end}
          - {id: evacuate, text: Start the evacuation of the zone, checklist: [{en: Fire brigade called (18)}]}
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Annotated

import msgspec

from beffroi.domain.procedures import (
    DEFAULT_LANGUAGE,
    END,
    LANGUAGES,
    ProcedureRun,
    ProcedureStep,
    ProcedureTranslation,
    StepChoice,
    StepProgress,
    StepStatus,
    StepTranslation,
)
from beffroi.errors import ConfigError, InvalidTransition, NotFound, RejectedInput

DEFAULT_PROCEDURES_RESOURCE = "default_procedures.yaml"
"""The packaged procedures file (beffroi/engine/default_procedures.yaml)."""
STEP_ENTITY = "step"
MAX_TEXT = 2000

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
Texts = str | dict[str, str]
"""A text of a procedure file: a plain string in the file's language, or one string per language."""


class ChoiceSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A choice as a procedure file writes it."""

    id: str
    label: Texts
    next: str = ""


class StepSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A step as a procedure file writes it."""

    id: str
    text: Texts
    required: bool = True
    checklist: tuple[Texts, ...] = ()
    choices: tuple[ChoiceSpec, ...] = ()
    next: str = ""


class ProcedureSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A procedure as a procedure file writes it."""

    name: Name
    title: Texts
    steps: tuple[StepSpec, ...]
    incident_types: tuple[Name, ...] = ()


class ProcedureFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A procedure file: its procedures, the fallback one, and the language of its plain texts."""

    procedures: tuple[ProcedureSpec, ...] = ()
    fallback: str = "generic"
    language: str = DEFAULT_LANGUAGE


class ProcedureDefinition(msgspec.Struct, frozen=True):
    """One procedure: its name, title, the incident types it serves, its ordered steps, the language of its texts
    and its title in the other languages."""

    name: Name
    title: str
    steps: tuple[ProcedureStep, ...]
    incident_types: tuple[Name, ...] = ()
    language: str = DEFAULT_LANGUAGE
    translations: dict[str, ProcedureTranslation] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = _step_problems(self.steps) + _translation_problems(self)
        if problems:
            raise ValueError(f"procedure {self.name!r}: " + "; ".join(problems))


def _step_problems(steps: tuple[ProcedureStep, ...]) -> list[str]:
    problems: list[str] = []
    if not steps:
        return ["a procedure needs at least one step"]
    position = {step.id: index for index, step in enumerate(steps)}
    if len(position) != len(steps):
        ids = [step.id for step in steps]
        problems.append(f"step ids must be unique, repeated: {', '.join(sorted({i for i in ids if ids.count(i) > 1}))}")
    for index, step in enumerate(steps):
        if not step.id or step.id == END:
            problems.append(f"step {index}: `id` must be a name other than {END!r}")
        if not step.text.strip():
            problems.append(f"step {step.id!r}: `text` must not be empty")
        choice_ids = [choice.id for choice in step.choices]
        if len(set(choice_ids)) != len(choice_ids):
            problems.append(f"step {step.id!r}: choice ids must be unique")
        targets = [("next", step.next)] + [(f"choice {choice.id!r}", choice.next) for choice in step.choices]
        for label, target in targets:
            if target and target != END and position.get(target, -1) <= index:
                problems.append(f"step {step.id!r}: {label} must name a later step or {END!r}, got {target!r}")
    return problems


def _translation_problems(procedure: ProcedureDefinition) -> list[str]:
    """Translations in a language the console lacks or in the procedure's own, and translated checklist items or
    choices the step does not have."""
    problems: list[str] = []
    others = set(LANGUAGES) - {procedure.language}
    if procedure.language not in LANGUAGES:
        problems.append(f"language {procedure.language!r} is not one of {', '.join(LANGUAGES)}")
    if set(procedure.translations) - others:
        problems.append(f"title translations must be in {', '.join(sorted(others))}")
    for step in procedure.steps:
        if set(step.translations) - others:
            problems.append(f"step {step.id!r}: translations must be in {', '.join(sorted(others))}")
        choices = {choice.id for choice in step.choices}
        for language, translation in step.translations.items():
            if len(translation.checklist) > len(step.checklist) or set(translation.choices) - choices:
                problems.append(f"step {step.id!r}: the {language!r} translation names items the step lacks")
    return problems


class ProcedureLibrary(msgspec.Struct, frozen=True):
    """Every procedure, and the one (`fallback`) for incident types no procedure names."""

    procedures: tuple[ProcedureDefinition, ...] = ()
    fallback: str = "generic"

    def __post_init__(self) -> None:
        names = [procedure.name for procedure in self.procedures]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"procedure names must be unique, repeated: {', '.join(repeated)}")
        served = [t for procedure in self.procedures for t in procedure.incident_types]
        twice = sorted({t for t in served if served.count(t) > 1})
        if twice:
            raise ValueError(f"an incident type has one procedure, these have several: {', '.join(twice)}")
        if self.procedures and self.fallback not in names:
            raise ValueError(f"the fallback procedure {self.fallback!r} is not in the file")

    def for_type(self, incident_type: str) -> ProcedureDefinition | None:
        """The procedure of an incident type: the one naming it, else the fallback; None in an empty library."""
        fallback = None
        for procedure in self.procedures:
            if incident_type in procedure.incident_types:
                return procedure
            if procedure.name == self.fallback:
                fallback = procedure
        return fallback


class _TextSplitter:
    """Splits a file's texts into the text in the file's language and its translations, noting each problem with
    its key path."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.problems: list[str] = []

    def split(self, texts: Texts, path: str) -> tuple[str, dict[str, str]]:
        """The text in the file's language ("" when missing) and the text in each other language."""
        if isinstance(texts, str):
            return texts, {}
        for language, text in texts.items():
            if language not in LANGUAGES:
                self.problems.append(f"{path}.{language}: unknown language, use one of {', '.join(LANGUAGES)}")
            elif not text.strip():
                self.problems.append(f"{path}.{language}: the text is empty")
        if self.language not in texts:
            self.problems.append(f"{path}: no {self.language!r} text (the file's language)")
        translated = {key: text for key, text in texts.items() if key in LANGUAGES and key != self.language}
        return texts.get(self.language, ""), translated

    def procedure(self, spec: ProcedureSpec, path: str) -> Callable[[], ProcedureDefinition]:
        """The definition of a procedure, built when called (once every text of the file is known to be good)."""
        title, title_in = self.split(spec.title, f"{path}.title")
        steps = tuple(self.step(step, f"{path}.steps[{index}]") for index, step in enumerate(spec.steps))
        translations = {language: ProcedureTranslation(text) for language, text in title_in.items()}
        return partial(ProcedureDefinition, spec.name, title, steps, spec.incident_types, self.language, translations)

    def step(self, spec: StepSpec, path: str) -> ProcedureStep:
        """A step with its texts in the file's language and its translations."""
        text, text_in = self.split(spec.text, f"{path}.text")
        items = [self.split(item, f"{path}.checklist[{index}]") for index, item in enumerate(spec.checklist)]
        labels = [
            self.split(choice.label, f"{path}.choices[{index}].label") for index, choice in enumerate(spec.choices)
        ]
        translations: dict[str, StepTranslation] = {}
        for language in LANGUAGES:
            checklist = tuple(item_in.get(language, "") for _, item_in in items)
            choices = {
                choice.id: label_in[language]
                for choice, (_, label_in) in zip(spec.choices, labels, strict=True)
                if language in label_in
            }
            if language in text_in or any(checklist) or choices:
                translations[language] = StepTranslation(
                    text_in.get(language, ""), checklist if any(checklist) else (), choices
                )
        return ProcedureStep(
            id=spec.id,
            text=text,
            required=spec.required,
            checklist=tuple(item for item, _ in items),
            choices=tuple(
                StepChoice(choice.id, label, choice.next)
                for choice, (label, _) in zip(spec.choices, labels, strict=True)
            ),
            next=spec.next,
            translations=translations,
        )


def _library(spec: ProcedureFile, source: str) -> ProcedureLibrary:
    """The library of a decoded file; ConfigError listing every problem with its key path."""
    if spec.language not in LANGUAGES:
        raise ConfigError(source, [f"language: {spec.language!r} is not one of {', '.join(LANGUAGES)}"])
    splitter = _TextSplitter(spec.language)
    drafts = [splitter.procedure(procedure, f"procedures[{index}]") for index, procedure in enumerate(spec.procedures)]
    if splitter.problems:
        raise ConfigError(source, splitter.problems)
    definitions: list[ProcedureDefinition] = []
    for index, draft in enumerate(drafts):
        try:
            definitions.append(draft())
        except ValueError as error:
            raise ConfigError(source, [f"procedures[{index}]: {error}"]) from None
    try:
        return ProcedureLibrary(tuple(definitions), spec.fallback)
    except ValueError as error:
        raise ConfigError(source, [str(error)]) from None


def parse_procedures(text: str | bytes, source: str = "procedures") -> ProcedureLibrary:
    """The procedures of a YAML document; ConfigError naming the source, the key path and what is wrong."""
    try:
        spec = msgspec.yaml.decode(text, type=ProcedureFile)
    except msgspec.ValidationError as error:
        raise ConfigError(source, [str(error)]) from None
    except msgspec.DecodeError as error:
        raise ConfigError(source, [f"not valid YAML: {error}"]) from None
    return _library(spec, source)


def load_procedures(path: Path | None = None) -> ProcedureLibrary:
    """The procedures of a YAML file, or the packaged default ones when `path` is None."""
    if path is None:
        text = resources.files("beffroi.engine").joinpath(DEFAULT_PROCEDURES_RESOURCE).read_bytes()
        return parse_procedures(text, f"beffroi/engine/{DEFAULT_PROCEDURES_RESOURCE}")
    try:
        text = path.read_bytes()
    except OSError as error:
        raise ConfigError(str(path), [f"cannot read the procedures: {error.strerror or error}"]) from None
    return parse_procedures(text, str(path))


def attach(procedure: ProcedureDefinition, tenant_id: str, incident_id: str, ts: float) -> ProcedureRun:
    """A run of the procedure for one incident, every step pending."""
    return ProcedureRun(
        tenant_id=tenant_id,
        incident_id=incident_id,
        procedure=procedure.name,
        title=procedure.title,
        attached_at=ts,
        steps=procedure.steps,
        progress=tuple(StepProgress(step.id) for step in procedure.steps),
        language=procedure.language,
        translations=procedure.translations,
    )


def _actionable(run: ProcedureRun, step_id: str, action: str) -> ProcedureStep:
    """The step, when it is pending and on the path; NotFound (no such step) or InvalidTransition otherwise."""
    found = run.step(step_id)
    if found is None:
        raise NotFound(f"procedure {run.procedure!r} of incident {run.incident_id!r} has no step {step_id!r}")
    step, progress = found
    if progress.status is not StepStatus.PENDING:
        raise InvalidTransition(STEP_ENTITY, progress.status.value, action)
    if step_id not in run.path():
        raise InvalidTransition(STEP_ENTITY, "not_applicable", action)
    return step


def complete_step(
    run: ProcedureRun,
    step_id: str,
    actor: str,
    ts: float,
    *,
    choice: str | None = None,
    checked: tuple[int, ...] = (),
    note: str = "",
) -> ProcedureRun:
    """The run with the step done: every checklist item ticked, and a choice made when the step branches."""
    step = _actionable(run, step_id, "complete")
    if step.choices:
        options = [option.id for option in step.choices]
        if choice is None:
            raise RejectedInput("choice_required", f"step {step_id!r} branches: choose one of {', '.join(options)}")
        if choice not in options:
            raise RejectedInput("unknown_choice", f"step {step_id!r} has no choice {choice!r} ({', '.join(options)})")
    elif choice is not None:
        raise RejectedInput("unknown_choice", f"step {step_id!r} has no choices, got {choice!r}")
    ticked = tuple(sorted(set(checked)))
    out_of_range = [index for index in ticked if not 0 <= index < len(step.checklist)]
    if out_of_range:
        raise RejectedInput(
            "unknown_checklist_item", f"step {step_id!r} has {len(step.checklist)} checklist items, got {out_of_range}"
        )
    missing = [item for index, item in enumerate(step.checklist) if index not in ticked]
    if missing:
        raise RejectedInput("checklist_incomplete", f"step {step_id!r}: tick every item first, missing: {missing}")
    progress = StepProgress(step_id, StepStatus.DONE, choice, ticked, actor, ts, "", note[:MAX_TEXT])
    return run.with_progress(progress)


def skip_step(run: ProcedureRun, step_id: str, actor: str, ts: float, justification: str) -> ProcedureRun:
    """The run with the step skipped, which needs a justification (a branching step follows its default branch)."""
    _actionable(run, step_id, "skip")
    if not justification.strip():
        raise RejectedInput("justification_required", f"skipping step {step_id!r} needs a justification")
    progress = StepProgress(step_id, StepStatus.SKIPPED, None, (), actor, ts, justification[:MAX_TEXT])
    return run.with_progress(progress)
