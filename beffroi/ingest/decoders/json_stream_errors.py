"""Says exactly what is wrong with a json-stream payload that the typed decoder refused.

This runs only on the error path: the payload is parsed again without a schema (stdlib json, which also reads
NaN and Infinity so they can be named) and walked field by field, so the sender reads
`value.temp: expected a number, got str` instead of a parser position.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

import msgspec

from beffroi.errors import RejectedInput
from beffroi.ingest.decoders.json_stream_schema import EVENT_TYPE_MAX_CHARS, ID_MAX_CHARS, metric_name_problem

_AWARE_DATETIME = Annotated[datetime, msgspec.Meta(tz=True)]


class _NonFinite:
    """Stands for a NaN / Infinity / -Infinity literal in the parsed document."""

    def __init__(self, text: str) -> None:
        self.text = text


def explain_failure(payload: bytes, error: Exception) -> RejectedInput:
    """The rejection (reason and a detail naming the field) for a payload the typed decoder refused with `error`."""
    if not payload.strip():
        return RejectedInput("empty", f"the payload has no content ({len(payload)} bytes)")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        return RejectedInput("malformed", f"not UTF-8 text: invalid byte at position {exc.start}")
    try:
        document = json.loads(text, parse_constant=_NonFinite)
    except json.JSONDecodeError as exc:
        return RejectedInput("malformed", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    except RecursionError:
        return RejectedInput("malformed", "not valid JSON: nested too deeply")
    problem = find_problem(document)
    if problem is not None:
        return RejectedInput("wrong_type", problem)
    reason = "wrong_type" if isinstance(error, msgspec.ValidationError) else "malformed"
    return RejectedInput(reason, str(error))


def find_problem(document: object) -> str | None:
    """The first schema problem of a parsed message as `field: what is wrong`, or None when it has none."""
    if not isinstance(document, dict):
        return f"the message must be a JSON object, got {kind_of(document)}"
    checks: tuple[Callable[[dict[str, object]], str | None], ...] = (
        _check_stream_id,
        _check_timestamp,
        _check_id,
        _check_model,
        _check_location,
        _check_value,
        _check_tags,
        _check_event,
    )
    for check in checks:
        problem = check(document)
        if problem is not None:
            return problem
    return None


def kind_of(value: object) -> str:
    """The JSON kind of a parsed value as a sender would call it: str, number, bool, null, object, array."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, _NonFinite):
        return value.text
    if isinstance(value, str):
        return "str"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "object"
    return "array"


def _number_problem(field: str, value: object) -> str | None:
    """None when `value` is a finite JSON number (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float | _NonFinite):
        return f"{field}: expected a number, got {kind_of(value)}"
    if isinstance(value, _NonFinite) or (isinstance(value, float) and not math.isfinite(value)):
        return f"{field}: expected a finite number, got {kind_of(value) if isinstance(value, _NonFinite) else value}"
    try:
        float(value)
    except OverflowError:
        return f"{field}: number out of range"
    return None


def _range_problem(field: str, value: object, low: float, high: float) -> str | None:
    problem = _number_problem(field, value)
    if problem is not None:
        return problem
    number = float(value)  # type: ignore[arg-type]  # a finite number, checked above
    if not low <= number <= high:
        return f"{field}: must be between {low:g} and {high:g}, got {number:g}"
    return None


def _text_problem(field: str, value: object, max_chars: int) -> str | None:
    if not isinstance(value, str):
        return f"{field}: expected a string, got {kind_of(value)}"
    if not 1 <= len(value) <= max_chars:
        return f"{field}: must be 1..{max_chars} characters, got {len(value)}"
    return None


def _scalar_problem(field: str, value: object, *, allow_null: bool) -> str | None:
    if isinstance(value, str | bool) or (value is None and allow_null):
        return None
    if isinstance(value, int | float | _NonFinite):
        return _number_problem(field, value)
    expected = "a string, number, bool or null" if allow_null else "a string, number or bool"
    return f"{field}: expected {expected}, got {kind_of(value)}"


def _check_stream_id(message: dict[str, object]) -> str | None:
    if "streamId" not in message:
        return "streamId: required field is missing (the device id)"
    return _text_problem("streamId", message["streamId"], ID_MAX_CHARS)


def _check_timestamp(message: dict[str, object]) -> str | None:
    if "timestamp" not in message:
        return "timestamp: required field is missing (ISO 8601 with Z or an offset, or epoch milliseconds)"
    stamp = message["timestamp"]
    if isinstance(stamp, str):
        try:
            msgspec.convert(stamp, _AWARE_DATETIME)
        except msgspec.ValidationError as exc:
            return f"timestamp: {stamp[:40]!r} is not an ISO 8601 date-time with Z or an offset ({exc})"
        return None
    if isinstance(stamp, bool) or not isinstance(stamp, int | float | _NonFinite):
        return f"timestamp: expected an ISO 8601 string or epoch milliseconds, got {kind_of(stamp)}"
    return _number_problem("timestamp", stamp)


def _check_id(message: dict[str, object]) -> str | None:
    msg_id = message.get("id")
    return None if msg_id is None else _text_problem("id", msg_id, ID_MAX_CHARS)


def _check_model(message: dict[str, object]) -> str | None:
    model = message.get("model")
    if model is None or isinstance(model, str):
        return None
    return f"model: expected a string, got {kind_of(model)}"


def _check_location(message: dict[str, object]) -> str | None:
    location = message.get("location")
    if location is None:
        return None
    if isinstance(location, dict):
        for axis, low, high in (("lon", -180.0, 180.0), ("lat", -90.0, 90.0)):
            if axis not in location:
                return f"location.{axis}: required field is missing"
            problem = _range_problem(f"location.{axis}", location[axis], low, high)
            if problem is not None:
                return problem
        return None
    if isinstance(location, list):
        if len(location) != 2:
            return f"location: expected [lon, lat], got an array of {len(location)} items"
        return _range_problem("location[0] (lon)", location[0], -180.0, 180.0) or _range_problem(
            "location[1] (lat)", location[1], -90.0, 90.0
        )
    return f"location: expected {{'lon': .., 'lat': ..}} or [lon, lat], got {kind_of(location)}"


def _check_value(message: dict[str, object]) -> str | None:
    if "value" not in message:
        return None
    values = message["value"]
    if not isinstance(values, dict):
        return f"value: expected an object of metric name -> number, got {kind_of(values)}"
    for metric, number in values.items():
        problem = metric_name_problem(metric)
        if problem is not None:
            return problem
        if isinstance(number, bool):
            continue
        if isinstance(number, dict | list):
            return f"value.{metric}: expected a number, got {kind_of(number)} (nested values are not allowed)"
        problem = _number_problem(f"value.{metric}", number)
        if problem is not None:
            return problem
    return None


def _check_tags(message: dict[str, object]) -> str | None:
    if "tags" not in message:
        return None
    tags = message["tags"]
    if not isinstance(tags, dict):
        return f"tags: expected an object of name -> string, number or bool, got {kind_of(tags)}"
    for name, tag in tags.items():
        problem = _scalar_problem(f"tags.{name}", tag, allow_null=False)
        if problem is not None:
            return problem
    return None


def _check_event(message: dict[str, object]) -> str | None:
    event = message.get("event")
    if event is None:
        return None
    if not isinstance(event, dict):
        return f"event: expected an object with a type, got {kind_of(event)}"
    if "type" not in event:
        return "event.type: required field is missing"
    problem = _text_problem("event.type", event["type"], EVENT_TYPE_MAX_CHARS)
    if problem is None and "confidence" in event:
        problem = _range_problem("event.confidence", event["confidence"], 0.0, 1.0)
    if problem is None and "attributes" in event:
        attributes = event["attributes"]
        if not isinstance(attributes, dict):
            return f"event.attributes: expected an object of name -> value, got {kind_of(attributes)}"
        for name, attribute in attributes.items():
            problem = _scalar_problem(f"event.attributes.{name}", attribute, allow_null=True)
            if problem is not None:
                return problem
    return problem
