"""Procedures (SOP): the packaged library, branching paths, completing (choices, checklists) and skipping steps
(justification), and definitions refused when they loop or dangle."""

from __future__ import annotations

import pytest

from beffroi.domain.procedures import ProcedureRun, StepStatus, view
from beffroi.engine.procedures import attach, complete_step, load_procedures, parse_procedures, skip_step
from beffroi.errors import ConfigError, InvalidTransition, NotFound, RejectedInput
from tests.engine.incident_builders import T0, TENANT

BRANCHING = """
procedures:
  - name: generic
    title: Generic
    steps:
      - id: assess
        text: What is it?
        choices:
          - {id: real, label: Real, next: act}
          - {id: false_alarm, label: False alarm, next: record}
      - {id: record, text: Record the cause, next: end}
      - {id: act, text: Send a team, checklist: [Team sent, Team on site]}
      - {id: extra, text: Photos, required: false}
      - {id: report, text: Report}
"""


def run() -> ProcedureRun:
    definition = parse_procedures(BRANCHING).for_type("anything")
    assert definition is not None
    return attach(definition, TENANT, "inc-1", T0)


def test_the_packaged_library_has_a_procedure_for_each_default_type() -> None:
    library = load_procedures()
    for incident_type in ("fire", "break_in", "overcrowding", "device_fault", "generic"):
        procedure = library.for_type(incident_type)
        assert procedure is not None and procedure.name == incident_type
        assert procedure.steps[0].choices, f"{incident_type} starts by telling a real event from a false alarm"
    fallback = library.for_type("drone")
    assert fallback is not None and fallback.name == "generic"


def test_the_path_follows_the_choices_and_stops_at_an_unanswered_branch() -> None:
    fresh = run()
    assert fresh.path() == ["assess"]
    assert fresh.pending_required() == ["assess"]
    real = complete_step(fresh, "assess", "alice", T0 + 5, choice="real")
    assert real.path() == ["assess", "act", "extra", "report"]
    assert real.pending_required() == ["act", "report"]  # `extra` is optional
    false_alarm = complete_step(fresh, "assess", "alice", T0 + 5, choice="false_alarm")
    assert false_alarm.path() == ["assess", "record"]
    shown = view(false_alarm)
    assert [(s.id, s.applicable, s.current) for s in shown.steps] == [
        ("assess", True, False),
        ("record", True, True),
        ("act", False, False),
        ("extra", False, False),
        ("report", False, False),
    ]
    done = complete_step(false_alarm, "record", "alice", T0 + 9, note="dust")
    assert view(done).complete and done.pending_required() == []


def test_completing_a_branch_needs_a_known_choice_and_a_checklist_every_item() -> None:
    fresh = run()
    with pytest.raises(RejectedInput) as no_choice:
        complete_step(fresh, "assess", "alice", T0)
    assert no_choice.value.reason == "choice_required"
    with pytest.raises(RejectedInput) as bad_choice:
        complete_step(fresh, "assess", "alice", T0, choice="maybe")
    assert bad_choice.value.reason == "unknown_choice"
    real = complete_step(fresh, "assess", "alice", T0, choice="real")
    with pytest.raises(RejectedInput) as partial:
        complete_step(real, "act", "alice", T0, checked=(0,))
    assert partial.value.reason == "checklist_incomplete" and "Team on site" in partial.value.detail
    with pytest.raises(RejectedInput) as beyond:
        complete_step(real, "act", "alice", T0, checked=(0, 1, 7))
    assert beyond.value.reason == "unknown_checklist_item"
    acted = complete_step(real, "act", "bob", T0 + 60, checked=(1, 0, 1), note="two guards")
    found = acted.step("act")
    assert found is not None
    assert (found[1].status, found[1].checked, found[1].actor, found[1].ts) == (StepStatus.DONE, (0, 1), "bob", T0 + 60)


def test_only_pending_steps_on_the_path_can_be_acted_on() -> None:
    fresh = run()
    with pytest.raises(InvalidTransition, match="cannot complete step in state not_applicable"):
        complete_step(fresh, "act", "alice", T0, checked=(0, 1))
    with pytest.raises(NotFound):
        skip_step(fresh, "nope", "alice", T0, "because")
    done = complete_step(fresh, "assess", "alice", T0, choice="false_alarm")
    with pytest.raises(InvalidTransition, match="cannot complete step in state done"):
        complete_step(done, "assess", "alice", T0, choice="real")


def test_skipping_needs_a_justification_and_a_skipped_branch_takes_its_default() -> None:
    fresh = run()
    with pytest.raises(RejectedInput) as unjustified:
        skip_step(fresh, "assess", "alice", T0, "   ")
    assert unjustified.value.reason == "justification_required"
    skipped = skip_step(fresh, "assess", "alice", T0, "camera down, patrol already there")
    found = skipped.step("assess")
    assert found is not None and (found[1].status, found[1].justification) == (
        StepStatus.SKIPPED,
        "camera down, patrol already there",
    )
    assert skipped.path() == ["assess", "act", "extra", "report"]  # the first choice's branch


@pytest.mark.parametrize(
    ("steps", "problem"),
    [
        ("[]", "at least one step"),
        ("[{id: a, text: A, next: a}]", "step 'a': next must name a later step"),
        ("[{id: a, text: A}, {id: b, text: B, next: a}]", "must name a later step"),
        ("[{id: a, text: A, next: nowhere}]", "must name a later step"),
        ("[{id: a, text: A}, {id: a, text: B}]", "step ids must be unique, repeated: a"),
        ("[{id: a, text: ' '}]", "`text` must not be empty"),
        ("[{id: end, text: A}]", "`id` must be a name other than 'end'"),
        ("[{id: a, text: A, choices: [{id: x, label: X}, {id: x, label: Y}]}]", "choice ids must be unique"),
        ("[{id: a, text: A, colour: red}]", "unknown field `colour`"),
    ],
)
def test_a_bad_procedure_is_refused_with_its_path(steps: str, problem: str) -> None:
    text = f"procedures: [{{name: generic, title: G, steps: {steps}}}]"
    with pytest.raises(ConfigError) as error:
        parse_procedures(text, "sop.yaml")
    assert str(error.value).startswith("sop.yaml: ")
    assert problem in str(error.value)


def test_a_library_needs_its_fallback_and_one_procedure_per_type() -> None:
    with pytest.raises(ConfigError, match="fallback procedure 'generic' is not in the file"):
        parse_procedures("procedures: [{name: fire, title: F, steps: [{id: a, text: A}]}]")
    twice = (
        "procedures: [{name: generic, title: G, incident_types: [fire], steps: [{id: a, text: A}]},"
        " {name: fire, title: F, incident_types: [fire], steps: [{id: a, text: A}]}]"
    )
    with pytest.raises(ConfigError, match="these have several: fire"):
        parse_procedures(twice)
    assert parse_procedures("procedures: []").for_type("fire") is None
