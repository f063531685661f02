"""What travels on the live stream, as msgspec Structs encoded to JSON (docs/live-stream.md).

Each change is encoded once, when it happens; a `changes` frame is those encodings joined, so sending one change to
fifty consoles costs one encoding, not fifty.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

import msgspec

from beffroi.domain.alarms import Alarm
from beffroi.domain.incidents import Incident
from beffroi.domain.messages import AlarmChange, IncidentChangeKind

MAX_SITES = 1000
SiteId = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class Hello(msgspec.Struct, forbid_unknown_fields=True):
    """The client's first frame: its token, the cursor it holds (null: none), and the sites it wants (none: all)."""

    type: Literal["hello"]
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=16_384)]
    since: str | None = None
    sites: Annotated[list[SiteId], msgspec.Meta(max_length=MAX_SITES)] | None = None


class ChangeKind(StrEnum):
    """What a change is about."""

    ALARM = "alarm"
    DEVICE = "device"
    ZONE = "zone"
    INCIDENT = "incident"


class Health(StrEnum):
    """A device's health, worst first."""

    IN_ALARM = "in_alarm"
    SILENT = "silent"
    LOW_BATTERY = "low_battery"
    OK = "ok"


class Level(StrEnum):
    """A zone's level."""

    NORMAL = "normal"
    AMBER = "amber"
    RED = "red"


class DeviceState(msgspec.Struct, frozen=True):
    """A device as the map shows it."""

    id: str
    site_id: str
    zone_id: str | None
    health: Health
    last_seen: float | None
    battery_pct: int | None
    alarms: int


class ZoneState(msgspec.Struct, frozen=True):
    """A zone as the map shows it: people in it, people per m², level, open alarms."""

    id: str
    site_id: str
    count: int | None
    density: float | None
    level: Level
    alarms: int
    updated_at: float


class IncidentUpdate(msgspec.Struct, frozen=True):
    """An incident's summary after a change (the shape of `GET /api/incidents`' items), with what happened and who
    did it; the timeline, alarms and procedure stay behind `GET /api/incidents/{id}`."""

    change: IncidentChangeKind
    actor: str
    incident: Incident


class Change(msgspec.Struct, frozen=True):
    """One numbered change of one alarm, device, zone or incident."""

    seq: int
    kind: ChangeKind
    data: AlarmChange | DeviceState | ZoneState | IncidentUpdate


class UserOut(msgspec.Struct, frozen=True):
    """Who the stream is for."""

    subject: str
    tenant_id: str
    role: str


class Welcome(msgspec.Struct, frozen=True, tag="welcome", tag_field="type"):
    """The server's answer to a good hello."""

    cursor: str
    resumed: bool
    user: UserOut
    heartbeat_s: float


class Snapshot(msgspec.Struct, frozen=True, tag="snapshot", tag_field="type"):
    """Everything the client shows, as of `cursor`."""

    cursor: str
    alarms: list[Alarm]
    devices: list[DeviceState]
    zones: list[ZoneState]
    incidents: list[Incident]


class Heartbeat(msgspec.Struct, frozen=True, tag="heartbeat", tag_field="type"):
    """Nothing changed; the stream is alive."""

    cursor: str
    ts: float


_encoder = msgspec.json.Encoder()
_hello_decoder = msgspec.json.Decoder(Hello)


def encode(value: Welcome | Snapshot | Heartbeat | Change) -> bytes:
    """JSON bytes of a frame or a change."""
    return _encoder.encode(value)


def decode_hello(text: str | bytes) -> Hello:
    """The hello frame; msgspec.DecodeError (bad JSON) or msgspec.ValidationError (naming the field) otherwise."""
    return _hello_decoder.decode(text)


def changes_frame(cursor: str, encoded_changes: list[bytes]) -> bytes:
    """A `changes` frame of already encoded changes, in order."""
    return b"".join(
        (b'{"type":"changes","cursor":', _encoder.encode(cursor), b',"changes":[', b",".join(encoded_changes), b"]}")
    )
