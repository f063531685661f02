"""Procedures (SOP) from YAML, attached to incidents by type, and the operator's progress through their steps.

A file lists procedures; each names the incident types it serves, and the library falls back on the procedure
named `fallback` (default `generic`) for any other type. Steps are checked when the file is read: unique ids,
`next` and choice targets naming a later step (or `end`), so a procedure can neither loop nor dangle.

Completing a step needs every checklist item ticked and, for a branching step, a choice; skipping one needs a
justification (the worker then notifies the supervisors). Only pending steps on the path can be acted on.

Example::

    procedures:
      - name: fire
        title: Fire
        incident_types: [fire]
        steps:
          - id: verify
            text: Look at the zone's cameras
            choices:
              - {id: confirmed, label: Smoke or flames seen, next: evacuate}
              - {id: not_seen, label: Nothing seen, next: patrol}
          - {id: patrol, text: Send a patrol to the detector, next: end}
          - {id: evacuate, text: Start the evacuation of the zone, checklist: [Call the fire brigade (18)]}
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

import msgspec

from beffroi.domain.procedures import END, ProcedureRun, ProcedureStep, StepProgress, StepStatus
from beffroi.errors import ConfigError, InvalidTransition, NotFound, RejectedInput

DEFAULT_PROCEDURES_RESOURCE = "default_procedures.yaml"
"""The packaged procedures file (beffroi/engine/default_procedures.yaml)."""
STEP_ENTITY = "step"
MAX_TEXT = 2000

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class ProcedureDefinition(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One procedure: its name, title, the incident types it serves, and its ordered steps."""

    name: Name
    title: str
    steps: tuple[ProcedureStep, ...]
    incident_types: tuple[Name, ...] = ()

    def __post_init__(self) -> None:
        problems = _step_problems(self.steps)
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


class ProcedureLibrary(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
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


def parse_procedures(text: str | bytes, source: str = "procedures") -> ProcedureLibrary:
    """The procedures of a YAML document; ConfigError naming the source, the key path and what is wrong."""
    try:
        return msgspec.yaml.decode(text, type=ProcedureLibrary)
    except msgspec.ValidationError as error:
        raise ConfigError(source, [str(error)]) from None
    except msgspec.DecodeError as error:
        raise ConfigError(source, [f"not valid YAML: {error}"]) from None


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
