"""The CAP 1.2 rules the XML schema does not check (OASIS CAP 1.2 §3.2), applied to a whole alert."""

from __future__ import annotations

import math
import re
from datetime import datetime

import msgspec

from beffroi.exports.cap.errors import CapProblem
from beffroi.exports.cap.formats import format_datetime, ring_problem
from beffroi.exports.cap.model import CapAlertDraft, Info, LatLon, MsgType, Scope

# identifier and sender: no spaces, commas or restricted characters (< and &)
_TOKEN_FORBIDDEN = re.compile(r"[\s,<&]")
# characters XML 1.0 cannot carry at all
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def alert_problems(draft: CapAlertDraft, *, require_references: bool) -> list[CapProblem]:
    """Every CAP 1.2 rule `draft` breaks. With `require_references`, an Update or Cancel must name the earlier
    message(s) it updates or cancels (Beffroi's own exports always do; some authorities' messages do not)."""
    problems: list[str] = []
    for name, value in (("identifier", draft.identifier), ("sender", draft.sender)):
        if not value:
            problems.append(f"alert.{name} is empty")
        elif _TOKEN_FORBIDDEN.search(value):
            problems.append(f"alert.{name} {value!r} contains a space, a comma, '<' or '&'")
    if draft.scope is Scope.RESTRICTED and not draft.restriction:
        problems.append("alert.restriction is required when the scope is Restricted")
    if draft.scope is Scope.PRIVATE and not draft.addresses:
        problems.append("alert.addresses is required when the scope is Private")
    if require_references and draft.msg_type in (MsgType.UPDATE, MsgType.CANCEL) and not draft.references:
        problems.append(f"alert.references must name the earlier message(s) of a {draft.msg_type.value}")
    for index, reference in enumerate(draft.references):
        for name, value in (("sender", reference.sender), ("identifier", reference.identifier)):
            if not value or _TOKEN_FORBIDDEN.search(value):
                problems.append(f"alert.references[{index}].{name} {value!r} is empty or holds a space or a comma")
    problems += _time_problems("alert.sent", draft.sent)
    problems += [problem for ref in draft.references for problem in _time_problems("alert.references", ref.sent)]
    for index, info in enumerate(draft.infos):
        problems += _info_problems(f"info[{index}]", info)
    problems += _text_problems(draft)
    return [CapProblem(problem) for problem in problems]


def _info_problems(path: str, info: Info) -> list[str]:
    problems: list[str] = []
    if not info.categories:
        problems.append(f"{path} needs at least one category")
    if not info.event.strip():
        problems.append(f"{path}.event is empty")
    for name, value in (("effective", info.effective), ("onset", info.onset), ("expires", info.expires)):
        if value is not None:
            problems += _time_problems(f"{path}.{name}", value)
    for area_index, area in enumerate(info.areas):
        area_path = f"{path}.area[{area_index}]"
        if not area.description.strip():
            problems.append(f"{area_path}.areaDesc is empty")
        for ring_index, ring in enumerate(area.polygons):
            problem = ring_problem(ring) or _points_problem(ring)
            if problem:
                problems.append(f"{area_path}.polygon[{ring_index}]: {problem}")
        for circle_index, circle in enumerate(area.circles):
            problem = _points_problem([circle.center])
            if problem or not (math.isfinite(circle.radius_km) and circle.radius_km >= 0):
                detail = problem or f"radius {circle.radius_km} km must be zero or more"
                problems.append(f"{area_path}.circle[{circle_index}]: {detail}")
        if area.ceiling is not None and area.altitude is None:
            problems.append(f"{area_path}.ceiling needs an altitude")
        for name, number in (("altitude", area.altitude), ("ceiling", area.ceiling)):
            if number is not None and not math.isfinite(number):
                problems.append(f"{area_path}.{name} is not a finite number")
    return problems


def _points_problem(points: list[LatLon]) -> str | None:
    for point in points:
        if not (math.isfinite(point.lat) and -90 <= point.lat <= 90):
            return f"latitude {point.lat} is not within -90..90"
        if not (math.isfinite(point.lon) and -180 <= point.lon <= 180):
            return f"longitude {point.lon} is not within -180..180"
    return None


def _time_problems(path: str, value: datetime) -> list[str]:
    try:
        format_datetime(value)
    except ValueError as error:
        return [f"{path}: {error}"]
    return []


def _text_problems(draft: CapAlertDraft) -> list[str]:
    """Characters XML 1.0 cannot carry (control characters) anywhere in the message."""
    texts: list[str] = []
    _collect_strings(msgspec.to_builtins(draft), texts)
    bad = [text for text in texts if _NOT_XML.search(text)]
    return [f"the text {text[:40]!r} holds a control character XML cannot carry" for text in bad]


def _collect_strings(node: object, into: list[str]) -> None:
    if isinstance(node, str):
        into.append(node)
    elif isinstance(node, dict):
        for value in node.values():
            _collect_strings(value, into)
    elif isinstance(node, list):
        for value in node:
            _collect_strings(value, into)
