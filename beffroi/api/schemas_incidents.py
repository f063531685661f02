"""The shapes of the incident and supervision routes' bodies, for validation and the OpenAPI document.

Responses are encoded straight from the domain objects with msgspec (same field names); these models describe
them (`extra="forbid"`, checked by the tests against every response), as `beffroi.api.schemas` does for alarms.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from beffroi.api.schemas import AlarmOut, AttributeValue, Shape
from beffroi.domain.incidents import Disposition, EvidenceKind, IncidentState, TimelineKind
from beffroi.domain.messages import IncidentChangeKind
from beffroi.domain.procedures import StepStatus
from beffroi.store.incidents import RateGrouping

Text = Annotated[str, Field(min_length=1, max_length=4000, pattern=r"\S")]
Name = Annotated[str, Field(min_length=1, max_length=128, pattern=r"\S")]
Link = Annotated[str, Field(max_length=2000, pattern=r"^https?://\S+$")]
Language = Literal["en", "fr"]
"""A language of the console, which a procedure's texts may be written in (`beffroi.domain.procedures.LANGUAGES`)."""


class IncidentOut(Shape):
    """An incident: priority 1 is the most urgent; `rule` is the correlation rule that opened (or reclassified)
    it; `escalation_level` indexes the escalation chain; `alarm_ids` are in the order they joined."""

    id: str
    tenant_id: str
    type: str
    title: str
    priority: int
    state: IncidentState
    rule: str
    opened_at: float
    updated_at: float
    first_alarm_at: float
    last_alarm_at: float
    site_id: str | None
    zone_id: str | None
    assignee: str | None
    desk: str | None
    disposition: Disposition | None
    duplicate_of: str | None
    escalation_level: int
    escalated_at: float | None
    resolved_at: float | None
    closed_at: float | None
    procedure: str | None
    alarm_ids: list[str]


class IncidentAlarmOut(Shape):
    """An alarm of an incident, as it is now, and when it joined."""

    incident_id: str
    joined_at: float
    alarm: AlarmOut


class TimelineEntryOut(Shape):
    """One line of an incident's story."""

    id: str
    tenant_id: str
    incident_id: str
    ts: float
    actor: str
    kind: TimelineKind
    text: str
    data: dict[str, AttributeValue]


class EvidenceOut(Shape):
    """An alarm, an event id or a link supporting the incident."""

    id: str
    tenant_id: str
    incident_id: str
    kind: EvidenceKind
    ref: str
    ts: float
    added_by: str
    note: str


class StepChoiceOut(Shape):
    """One answer of a branching step and the step it leads to (`end`; empty: the following step)."""

    id: str
    label: str
    next: str


class StepTranslationOut(Shape):
    """A step's texts in one more language: `checklist` by index ("" for an item not translated; empty when none
    is), `choices` the labels by choice id. What is empty or missing reads in the procedure's language."""

    text: str
    checklist: list[str]
    choices: dict[str, str]


class ProcedureTranslationOut(Shape):
    """A procedure's title in one more language ("": not translated)."""

    title: str


class ProcedureStepOut(Shape):
    """A step's definition, its texts in the procedure's language and in the others (`translations`)."""

    id: str
    text: str
    required: bool
    checklist: list[str]
    choices: list[StepChoiceOut]
    next: str
    translations: dict[Language, StepTranslationOut]


class StepProgressOut(Shape):
    """What was done with a step."""

    step_id: str
    status: StepStatus
    choice: str | None
    checked: list[int]
    actor: str | None
    ts: float | None
    justification: str
    note: str


class ProcedureRunOut(Shape):
    """A procedure attached to an incident: its steps and their progress, in order; its texts are in `language`,
    and in the other languages in the `translations` of the procedure (title) and of each step."""

    tenant_id: str
    incident_id: str
    procedure: str
    title: str
    attached_at: float
    steps: list[ProcedureStepOut]
    progress: list[StepProgressOut]
    language: Language
    translations: dict[Language, ProcedureTranslationOut]


class StepOut(Shape):
    """A step as an operator sees it: `applicable` when on the path the choices made so far lead along, `current`
    for the first pending applicable step."""

    id: str
    text: str
    required: bool
    checklist: list[str]
    choices: list[StepChoiceOut]
    next: str
    translations: dict[Language, StepTranslationOut]
    status: StepStatus
    applicable: bool
    current: bool
    choice: str | None
    checked: list[int]
    actor: str | None
    ts: float | None
    justification: str
    note: str


class ProcedureOut(Shape):
    """An incident's procedure, `complete` once no applicable step is pending. Its texts (title, each step's text,
    checklist items and choice labels) are in `language`; `translations` (the procedure's and each step's) hold
    them in the console's other languages: a client shows its own language where a text has it."""

    procedure: str
    title: str
    language: Language
    translations: dict[Language, ProcedureTranslationOut]
    attached_at: float
    complete: bool
    steps: list[StepOut]


class IncidentDetailOut(Shape):
    """An incident with its alarms, timeline (oldest first), evidence and procedure."""

    incident: IncidentOut
    alarms: list[IncidentAlarmOut]
    timeline: list[TimelineEntryOut]
    evidence: list[EvidenceOut]
    procedure: ProcedureOut | None


class IncidentChangeOut(Shape):
    """An incident after an operator's action, with what the action added."""

    change: IncidentChangeKind
    incident: IncidentOut
    actor: str
    timeline: list[TimelineEntryOut]
    alarms: list[IncidentAlarmOut]
    evidence: list[EvidenceOut]
    procedure: ProcedureRunOut | None


class TransitionIn(Shape):
    """The state to move to, and why (closing and reopening need a supervisor)."""

    to: IncidentState
    reason: Annotated[str, Field(max_length=2000)] = ""


class AssignIn(Shape):
    """Who and which desk take the incident (at least one of the two)."""

    assignee: Name | None = None
    desk: Name | None = None


class DispositionIn(Shape):
    """What the incident was; a duplicate names the incident it duplicates."""

    disposition: Disposition
    duplicate_of: Name | None = None
    note: Annotated[str, Field(max_length=2000)] = ""


class NoteIn(Shape):
    """A note for the timeline, with links (video clips, documents) and event ids kept as evidence."""

    text: Text
    links: Annotated[tuple[Link, ...], Field(max_length=20)] = ()
    event_ids: Annotated[tuple[Name, ...], Field(max_length=50)] = ()


class CompleteStepIn(Shape):
    """The choice of a branching step, the checklist items ticked (by index, all of them), and a note."""

    choice: Name | None = None
    checked: Annotated[tuple[Annotated[int, Field(ge=0, le=1000)], ...], Field(max_length=1000)] = ()
    note: Annotated[str, Field(max_length=2000)] = ""


class SkipStepIn(Shape):
    """Why the step is skipped (the supervisors are notified)."""

    justification: Text


class DispositionCountsOut(Shape):
    """How many were dispositioned true, false, duplicate, or not yet, and false / (true + false)."""

    key: str
    true: int
    false: int
    duplicate: int
    undisposed: int
    total: int
    false_alarm_rate: float | None


class FalseAlarmRatesOut(Shape):
    """False-alarm rates per `by` key (alarms counted for `alarm_type` and `source`, incidents for `rule` and
    `incident_type`), the highest rate first."""

    by: RateGrouping
    since: float | None
    site_id: str | None
    rows: list[DispositionCountsOut]
