"""An authority's CAP alert → Beffroi Events, one per `info` block in the preferred language.

- type: `cap_<event>` (the event name folded to lowercase ASCII words, e.g. `cap_vent_violent`), or
  `cap_<category>` when the event name has no letter or digit; `cap_<msgtype>` for a message without info;
- source: `cap:<sender>`; ts: the message's `sent` time; confidence from the certainty (table below);
- position: the centroid of the first area's first polygon, else the centre of its first circle;
- site and zone: from the caller's locator (e.g. a ZoneLocator over the tenant's zones), when the point is in one;
- attributes: identifier, sender, msgType, status, scope, references, event, category, urgency, severity,
  certainty, headline, language, onset, expires, area, web, and each parameter as `parameter.<valueName>`.

The event id is derived from sender, identifier and info index, so importing the same message twice stores it once.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from beffroi.domain.observations import AttributeValue, Event
from beffroi.exports.cap.formats import format_datetime, format_references
from beffroi.exports.cap.model import CapAlertDraft, Certainty, Info
from beffroi.exports.cap.places import PlaceLocator, area_point

CONFIDENCE = {
    Certainty.OBSERVED: 1.0,
    Certainty.LIKELY: 0.8,
    Certainty.POSSIBLE: 0.5,
    Certainty.UNLIKELY: 0.2,
    Certainty.UNKNOWN: 0.5,
}
MAX_TYPE_LENGTH = 64
MAX_PARAMETERS = 20
MAX_ATTRIBUTE_LENGTH = 2000


def cap_events(
    draft: CapAlertDraft, tenant_id: str, *, locate: PlaceLocator | None = None, language: str = "fr"
) -> list[Event]:
    """The events of `draft` for `tenant_id`: one per info in `language` (a prefix such as "fr"; when no info is in
    it, the infos in the first info's language), or one for a message without info."""
    common = _alert_attributes(draft)
    source = f"cap:{draft.sender}"
    ts = draft.sent.timestamp()
    if not draft.infos:
        event_type = f"cap_{draft.msg_type.value.lower()}"
        return [Event(_event_id(draft, 0), tenant_id, event_type, source, ts, attributes=common)]
    events = []
    for index, info in _infos_in_language(draft.infos, language):
        position = next((point for area in info.areas if (point := area_point(area)) is not None), None)
        place = locate(position) if locate is not None and position is not None else None
        events.append(
            Event(
                event_id=_event_id(draft, index),
                tenant_id=tenant_id,
                type=event_type_of(info),
                source=source,
                ts=ts,
                site_id=place.site_id if place is not None else None,
                zone_id=place.zone_id if place is not None else None,
                position=position,
                confidence=CONFIDENCE[info.certainty],
                attributes={**common, **_info_attributes(info)},
            )
        )
    return events


def event_type_of(info: Info) -> str:
    """`cap_` and the event name as lowercase ASCII words joined by `_`; `cap_<category>` when it has none."""
    folded = unicodedata.normalize("NFKD", info.event).encode("ascii", "ignore").decode("ascii").lower()
    words = re.sub(r"[^a-z0-9]+", "_", folded).strip("_")
    if not words:
        words = info.categories[0].value.lower() if info.categories else "other"
    return f"cap_{words}"[:MAX_TYPE_LENGTH].rstrip("_")


def _infos_in_language(infos: list[Info], language: str) -> list[tuple[int, Info]]:
    wanted = language.lower()
    chosen = [(index, info) for index, info in enumerate(infos) if info.language.lower().startswith(wanted)]
    if chosen:
        return chosen
    first = infos[0].language.lower()
    return [(index, info) for index, info in enumerate(infos) if info.language.lower() == first]


def _event_id(draft: CapAlertDraft, index: int) -> str:
    digest = hashlib.sha256(f"{draft.sender}\n{draft.identifier}\n{index}".encode()).hexdigest()
    return f"cap-{digest[:32]}"


def _alert_attributes(draft: CapAlertDraft) -> dict[str, AttributeValue]:
    return {
        "identifier": _short(draft.identifier),
        "sender": _short(draft.sender),
        "msgType": draft.msg_type.value,
        "status": draft.status.value,
        "scope": draft.scope.value,
        "references": _short(format_references(draft.references)) if draft.references else None,
    }


def _info_attributes(info: Info) -> dict[str, AttributeValue]:
    attributes: dict[str, AttributeValue] = {
        "event": _short(info.event),
        "category": ",".join(category.value for category in info.categories),
        "urgency": info.urgency.value,
        "severity": info.severity.value,
        "certainty": info.certainty.value,
        "headline": _short(info.headline),
        "language": info.language,
        "onset": format_datetime(info.onset) if info.onset is not None else None,
        "expires": format_datetime(info.expires) if info.expires is not None else None,
        "area": _short(info.areas[0].description) if info.areas else None,
        "web": _short(info.web),
    }
    for parameter in info.parameters[:MAX_PARAMETERS]:
        attributes[f"parameter.{parameter.name[:64]}"] = _short(parameter.value)
    return attributes


def _short(text: str | None) -> str | None:
    return None if text is None else text[:MAX_ATTRIBUTE_LENGTH]
