"""Typed messages that cross processes on the bus, and their subjects.

Every bus message body is MessagePack of one of the Structs below; nothing is pickled.
Subjects are partitioned by tenant (and site for readings/events) so consumers can scale out.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar, cast

import msgspec

from beffroi.domain.alarms import Alarm
from beffroi.domain.incidents import Disposition, Evidence, Incident, IncidentAlarm, IncidentState, TimelineEntry
from beffroi.domain.observations import AttributeValue, Event, ReadingBatch
from beffroi.domain.procedures import ProcedureRun
from beffroi.domain.records import AuditEntry, DeadLetter
from beffroi.errors import BeffroiError, InvalidTransition, NotFound, RejectedInput

SUBJECT_ROOT = "beffroi"


class AlarmChangeKind(StrEnum):
    """What happened to an alarm."""

    RAISED = "raised"
    RETRIGGERED = "retriggered"
    RETURNED_TO_NORMAL = "returned_to_normal"
    ACKNOWLEDGED = "acknowledged"
    SHELVED = "shelved"
    UNSHELVED = "unshelved"
    SUPPRESSED = "suppressed"
    OUT_OF_SERVICE = "out_of_service"
    RETURNED_TO_SERVICE = "returned_to_service"
    CLEARED = "cleared"


class AlarmChange(msgspec.Struct, frozen=True):
    """An alarm after a transition, with what the transition was and who caused it."""

    change: AlarmChangeKind
    alarm: Alarm
    actor: str = "engine"


class AlarmAction(StrEnum):
    """What an operator asks to do with an alarm."""

    ACKNOWLEDGE = "acknowledge"
    SHELVE = "shelve"
    CLEAR = "clear"
    SUPPRESS = "suppress"
    OUT_OF_SERVICE = "out_of_service"
    RETURN_TO_SERVICE = "return_to_service"


class AlarmCommand(msgspec.Struct, frozen=True):
    """An operator's action on an alarm, sent to the engine that owns alarm state."""

    command_id: str
    tenant_id: str
    alarm_id: str
    action: AlarmAction
    actor: str
    ts: float
    reason: str = ""
    duration_s: float | None = None


class AlarmCommandOutcome(msgspec.Struct, frozen=True):
    """What the engine did with an AlarmCommand: the `change` it applied, or why it refused (`error_code`, see
    `command_refused`, and the error's text). Lets a process without the engine answer the operator who sent it."""

    command_id: str
    tenant_id: str
    change: AlarmChange | None
    error_code: str = ""
    error_message: str = ""

    def error(self) -> BeffroiError | None:
        """The error the engine raised, rebuilt (NotFound, InvalidTransition, RejectedInput with its reason, or a
        plain BeffroiError for a failure of the engine itself); None when the command was applied."""
        code, message = self.error_code, self.error_message
        if self.change is not None and not code:
            return None
        if code == NOT_FOUND:
            return NotFound(message)
        if code == INVALID_TRANSITION:
            return _invalid_transition(message)
        if code.startswith(REJECTED_PREFIX):
            reason = code.removeprefix(REJECTED_PREFIX)
            detail = message.removeprefix(f"{reason}: ")
            return RejectedInput(reason, detail)
        return BeffroiError(message or f"the engine answered command {self.command_id!r} with neither change nor error")


NOT_FOUND = "not_found"
"""`error_code` of a command on an alarm the engine does not hold open in the tenant."""
INVALID_TRANSITION = "invalid_transition"
"""`error_code` of an action not allowed in the alarm's state."""
REJECTED_PREFIX = "rejected:"
"""`error_code` prefix of refused input, followed by the RejectedInput's reason (`rejected:bad_duration`)."""
ENGINE_FAILURE = "engine_failure"
"""`error_code` of any other failure (the store or the bus failing under the engine)."""


def command_applied(command: AlarmCommand, change: AlarmChange) -> AlarmCommandOutcome:
    """The outcome of a command the engine applied."""
    return AlarmCommandOutcome(command.command_id, command.tenant_id, change)


def command_refused(command: AlarmCommand, error: BeffroiError) -> AlarmCommandOutcome:
    """The outcome of a command the engine refused or failed to apply, its error encoded as a code and its text."""
    if isinstance(error, NotFound):
        code = NOT_FOUND
    elif isinstance(error, InvalidTransition):
        code = INVALID_TRANSITION
    elif isinstance(error, RejectedInput):
        code = REJECTED_PREFIX + error.reason
    else:
        code = ENGINE_FAILURE
    return AlarmCommandOutcome(command.command_id, command.tenant_id, None, code, str(error))


def _invalid_transition(message: str) -> InvalidTransition:
    """The InvalidTransition whose text is `message` ("cannot ACTION ENTITY in state STATE")."""
    head, separator, state = message.removeprefix("cannot ").rpartition(" in state ")
    action, _, entity = head.rpartition(" ")
    if not separator or not action:
        return InvalidTransition("alarm", "unknown", message or "apply this command")
    return InvalidTransition(entity, state, action)


class DeadLetterMessage(msgspec.Struct, frozen=True):
    """A rejected input travelling to the recorder."""

    dead_letter: DeadLetter


class AuditMessage(msgspec.Struct, frozen=True):
    """An audit entry travelling to the recorder."""

    entry: AuditEntry


class IncidentChangeKind(StrEnum):
    """What happened to an incident."""

    OPENED = "opened"
    ALARM_JOINED = "alarm_joined"
    ALARM_UPDATED = "alarm_updated"
    RECLASSIFIED = "reclassified"
    ASSIGNED = "assigned"
    TRANSITIONED = "transitioned"
    DISPOSITION_SET = "disposition_set"
    NOTE_ADDED = "note_added"
    STEP_COMPLETED = "step_completed"
    STEP_SKIPPED = "step_skipped"
    ESCALATED = "escalated"


class IncidentChange(msgspec.Struct, frozen=True):
    """An incident after a change, with what it added: timeline entries, alarms that joined (or whose snapshot
    changed), evidence, and the procedure run when the change attached or advanced it. Published on
    `beffroi.incidents.<tenant>`."""

    change: IncidentChangeKind
    incident: Incident
    actor: str = "engine"
    timeline: tuple[TimelineEntry, ...] = ()
    alarms: tuple[IncidentAlarm, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    procedure: ProcedureRun | None = None


class IncidentAction(StrEnum):
    """What an operator asks to do with an incident."""

    TRANSITION = "transition"
    ASSIGN = "assign"
    SET_DISPOSITION = "set_disposition"
    ADD_NOTE = "add_note"
    COMPLETE_STEP = "complete_step"
    SKIP_STEP = "skip_step"


class IncidentCommand(msgspec.Struct, frozen=True):
    """An operator's action on an incident, sent to the incident worker that owns incident state. Which fields
    matter depends on `action`: `target_state` (transition), `assignee`/`desk` (assign), `disposition` and
    `duplicate_of` (set_disposition), `text`, `links` and `event_ids` (add_note, and a transition's reason),
    `step_id` with `choice`, `checked` and `text` as a note (complete_step) or `justification` (skip_step)."""

    command_id: str
    tenant_id: str
    incident_id: str
    action: IncidentAction
    actor: str
    ts: float
    target_state: IncidentState | None = None
    assignee: str | None = None
    desk: str | None = None
    disposition: Disposition | None = None
    duplicate_of: str | None = None
    text: str = ""
    links: tuple[str, ...] = ()
    event_ids: tuple[str, ...] = ()
    step_id: str = ""
    choice: str | None = None
    checked: tuple[int, ...] = ()
    justification: str = ""


class IncidentCommandOutcome(msgspec.Struct, frozen=True):
    """What the incident worker did with an IncidentCommand: the `change` it applied, or why it refused (the same
    error codes as `AlarmCommandOutcome`)."""

    command_id: str
    tenant_id: str
    change: IncidentChange | None
    error_code: str = ""
    error_message: str = ""

    def error(self) -> BeffroiError | None:
        """The error the worker raised, rebuilt; None when the command was applied."""
        if self.change is not None and not self.error_code:
            return None
        fallback = f"the incident worker answered command {self.command_id!r} with neither change nor error"
        return _rebuilt_error(self.error_code, self.error_message, fallback)


class SupervisorNotice(msgspec.Struct, frozen=True):
    """Something a supervisor must know about an incident (a procedure step skipped, with its justification).
    Published on `beffroi.supervision.<tenant>`; also kept as the incident's timeline entry of the same id."""

    id: str
    tenant_id: str
    incident_id: str
    ts: float
    actor: str
    kind: str
    text: str
    data: dict[str, AttributeValue] = msgspec.field(default_factory=dict)


class SignallingRecords(msgspec.Struct, frozen=True):
    """A batch of one operator's signalling records in columns, as its probes deliver them, published on
    `beffroi.signalling.<tenant>` for the mobile worker (see `beffroi.domain.signalling`): `ts` epoch seconds,
    `subscriber` the operator's identifiers (replaced by daily pseudonyms at the mobile worker's door, never stored
    or logged there), `cell` cell ids of the cell plan, `event` SignallingEvent codes, `home_mcc` the home network's
    country code, `billing_area` the billing département ("" for roamers), `timing_advance` (None where the probes
    do not deliver it) each record's timing advance in LTE steps of 78.12 m, 0 to 1282, -1 where a record has none
    (see `OPTIONAL_SIGNALLING_COLUMNS`). Every column given has the same length. `timing_advance` comes last, with a
    default, so that a producer that never sends it still decodes."""

    batch_id: str
    tenant_id: str
    operator: str
    ts: list[float]
    subscriber: list[str]
    cell: list[str]
    event: list[int]
    home_mcc: list[int]
    billing_area: list[str]
    timing_advance: list[int] | None = None


def error_code(error: BeffroiError) -> str:
    """The `error_code` of an outcome refusing a command with `error` (see `command_refused`)."""
    if isinstance(error, NotFound):
        return NOT_FOUND
    if isinstance(error, InvalidTransition):
        return INVALID_TRANSITION
    if isinstance(error, RejectedInput):
        return REJECTED_PREFIX + error.reason
    return ENGINE_FAILURE


def incident_command_applied(command: IncidentCommand, change: IncidentChange) -> IncidentCommandOutcome:
    """The outcome of an incident command the worker applied."""
    return IncidentCommandOutcome(command.command_id, command.tenant_id, change)


def incident_command_refused(command: IncidentCommand, error: BeffroiError) -> IncidentCommandOutcome:
    """The outcome of an incident command the worker refused or failed to apply."""
    return IncidentCommandOutcome(command.command_id, command.tenant_id, None, error_code(error), str(error))


def _rebuilt_error(code: str, message: str, fallback: str) -> BeffroiError:
    """The error an outcome's code and text stand for."""
    if code == NOT_FOUND:
        return NotFound(message)
    if code == INVALID_TRANSITION:
        return _invalid_transition(message)
    if code.startswith(REJECTED_PREFIX):
        reason = code.removeprefix(REJECTED_PREFIX)
        return RejectedInput(reason, message.removeprefix(f"{reason}: "))
    return BeffroiError(message or fallback)


def _token(part: str) -> str:
    """Subject tokens may not contain '.', '*', '>' or whitespace."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in part) or "_"


def readings_subject(tenant_id: str, site_id: str | None) -> str:
    """Subject of reading batches for one tenant and site."""
    return f"{SUBJECT_ROOT}.readings.{_token(tenant_id)}.{_token(site_id or '_')}"


def events_subject(tenant_id: str, site_id: str | None) -> str:
    """Subject of events for one tenant and site."""
    return f"{SUBJECT_ROOT}.events.{_token(tenant_id)}.{_token(site_id or '_')}"


def alarms_subject(tenant_id: str) -> str:
    """Subject of alarm changes for one tenant."""
    return f"{SUBJECT_ROOT}.alarms.{_token(tenant_id)}"


def alarm_commands_subject(tenant_id: str) -> str:
    """Subject of operator commands on alarms for one tenant."""
    return f"{SUBJECT_ROOT}.commands.alarms.{_token(tenant_id)}"


def alarm_command_outcomes_subject(tenant_id: str) -> str:
    """Subject of what the engine did with each operator command, for one tenant."""
    return f"{SUBJECT_ROOT}.commands.outcomes.{_token(tenant_id)}"


def dead_letters_subject() -> str:
    """Subject of dead letters (the tenant may be unknown)."""
    return f"{SUBJECT_ROOT}.deadletters"


def audit_subject(tenant_id: str) -> str:
    """Subject of audit entries for one tenant."""
    return f"{SUBJECT_ROOT}.audit.{_token(tenant_id)}"


def incidents_subject(tenant_id: str) -> str:
    """Subject of incident changes for one tenant."""
    return f"{SUBJECT_ROOT}.incidents.{_token(tenant_id)}"


def incident_commands_subject(tenant_id: str) -> str:
    """Subject of operator commands on incidents for one tenant."""
    return f"{SUBJECT_ROOT}.commands.incidents.{_token(tenant_id)}"


def incident_command_outcomes_subject(tenant_id: str) -> str:
    """Subject of what the incident worker did with each operator command, for one tenant."""
    return f"{SUBJECT_ROOT}.commands.incident_outcomes.{_token(tenant_id)}"


def supervision_subject(tenant_id: str) -> str:
    """Subject of notices for the supervisors of one tenant."""
    return f"{SUBJECT_ROOT}.supervision.{_token(tenant_id)}"


def signalling_subject(tenant_id: str) -> str:
    """Subject of a mobile operator's signalling batches (SignallingRecords) for one tenant."""
    return f"{SUBJECT_ROOT}.signalling.{_token(tenant_id)}"


def mobile_estimates_subject(tenant_id: str) -> str:
    """Subject of the mobile-network crowd figures (one MobileSlotEstimate per operator and slot) of one tenant."""
    return f"{SUBJECT_ROOT}.crowd.mobile.{_token(tenant_id)}"


ALL_READINGS = f"{SUBJECT_ROOT}.readings.>"
ALL_EVENTS = f"{SUBJECT_ROOT}.events.>"
ALL_ALARMS = f"{SUBJECT_ROOT}.alarms.>"
ALL_AUDIT = f"{SUBJECT_ROOT}.audit.>"
ALL_ALARM_COMMANDS = f"{SUBJECT_ROOT}.commands.alarms.>"
ALL_ALARM_COMMAND_OUTCOMES = f"{SUBJECT_ROOT}.commands.outcomes.>"
ALL_DEAD_LETTERS = f"{SUBJECT_ROOT}.deadletters"
ALL_INCIDENTS = f"{SUBJECT_ROOT}.incidents.>"
ALL_INCIDENT_COMMANDS = f"{SUBJECT_ROOT}.commands.incidents.>"
ALL_INCIDENT_COMMAND_OUTCOMES = f"{SUBJECT_ROOT}.commands.incident_outcomes.>"
ALL_SUPERVISION = f"{SUBJECT_ROOT}.supervision.>"
ALL_SIGNALLING = f"{SUBJECT_ROOT}.signalling.>"
ALL_MOBILE_ESTIMATES = f"{SUBJECT_ROOT}.crowd.mobile.>"

Message = (
    ReadingBatch
    | Event
    | AlarmChange
    | AlarmCommand
    | AlarmCommandOutcome
    | DeadLetterMessage
    | AuditMessage
    | IncidentChange
    | IncidentCommand
    | IncidentCommandOutcome
    | SupervisorNotice
    | SignallingRecords
)
M = TypeVar(
    "M",
    ReadingBatch,
    Event,
    AlarmChange,
    AlarmCommand,
    AlarmCommandOutcome,
    DeadLetterMessage,
    AuditMessage,
    IncidentChange,
    IncidentCommand,
    IncidentCommandOutcome,
    SupervisorNotice,
    SignallingRecords,
)

_encoder = msgspec.msgpack.Encoder()
_decoders: dict[type[msgspec.Struct], msgspec.msgpack.Decoder[Any]] = {}


def encode(message: Message) -> bytes:
    """MessagePack bytes of a bus message."""
    return _encoder.encode(message)


def decode(data: bytes, kind: type[M]) -> M:
    """The typed message of `kind` from MessagePack bytes; raises msgspec.ValidationError on a mismatch."""
    decoder = _decoders.get(kind)
    if decoder is None:
        decoder = msgspec.msgpack.Decoder(kind)
        _decoders[kind] = decoder
    return cast(M, decoder.decode(data))
