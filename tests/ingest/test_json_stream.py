"""The json-stream decoder: what it accepts, and a clear reason and detail for everything it refuses."""

from __future__ import annotations

import json
import math

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beffroi.domain.observations import Position
from beffroi.errors import RejectedInput
from beffroi.ingest.decoders import DecodedMessage, get_decoder, known_decoders, register_decoder
from beffroi.ingest.decoders.json_stream import JsonStreamDecoder
from beffroi.ingest.decoders.json_stream_errors import find_problem

DECODER = JsonStreamDecoder()


def decode_one(payload: bytes | str) -> DecodedMessage:
    raw = payload.encode() if isinstance(payload, str) else payload
    messages = DECODER.decode(raw)
    assert len(messages) == 1
    return messages[0]


def decode_or_refusal(payload: bytes) -> list[DecodedMessage] | RejectedInput:
    """The decoded messages, or the refusal (any other exception escapes and fails the test)."""
    try:
        return DECODER.decode(payload)
    except RejectedInput as refused:
        return refused


def rejection(payload: bytes | str) -> RejectedInput:
    raw = payload.encode() if isinstance(payload, str) else payload
    with pytest.raises(RejectedInput) as caught:
        DECODER.decode(raw)
    return caught.value


def test_the_registry_knows_json_stream_and_names_the_known_kinds_when_asked_for_another() -> None:
    assert "json-stream" in known_decoders()
    assert isinstance(get_decoder("json-stream"), JsonStreamDecoder)
    with pytest.raises(KeyError, match=r"unknown decoder kind 'protobuf'; known: \[.*'json-stream'"):
        get_decoder("protobuf")


def test_a_registered_decoder_is_found_by_its_kind() -> None:
    class Reversed:
        def decode(self, payload: bytes) -> list[DecodedMessage]:
            return DECODER.decode(payload[::-1])

    register_decoder("reversed-json", Reversed())
    payload = b'{"streamId":"d","timestamp":1000,"value":{"x":1}}'
    assert get_decoder("reversed-json").decode(payload[::-1])[0].values == {"x": 1.0}


def test_a_full_message_decodes_to_every_field() -> None:
    got = decode_one(
        """{"id": "7f3c2a-000123", "streamId": "sdf-gate-a-pc-01", "timestamp": "2024-07-26T19:30:00.125Z",
            "model": "Xovis PC2S", "location": {"lon": 2.3601, "lat": 48.9244},
            "value": {"count_in": 12, "count_out": 3, "occupancy": 845, "occupancy_ratio": 0.42},
            "tags": {"firmware": "2.1", "rev": 3, "beta": false},
            "event": {"type": "door_forced", "confidence": 0.97, "attributes": {"door": "B12", "zone": null}}}"""
    )
    assert got == DecodedMessage(
        msg_id="7f3c2a-000123",
        device_id="sdf-gate-a-pc-01",
        ts=1722022200.125,
        values={"count_in": 12.0, "count_out": 3.0, "occupancy": 845.0, "occupancy_ratio": 0.42},
        position=Position(2.3601, 48.9244),
        event_type="door_forced",
        event_confidence=0.97,
        event_attributes={"door": "B12", "zone": None},
        tags={"firmware": "2.1", "rev": 3, "beta": False},
        model="Xovis PC2S",
    )


@pytest.mark.parametrize(
    ("stamp", "expected_ts"),
    [
        ('"2024-07-26T19:30:00.125Z"', 1722022200.125),
        ('"2024-07-26T21:30:00.125+02:00"', 1722022200.125),
        ('"2024-07-26T19:30:00Z"', 1722022200.0),
        ("1722022200125", 1722022200.125),
        ("1722022200125.5", 1722022200.1255),
    ],
)
def test_timestamps_are_iso_8601_with_a_zone_or_epoch_milliseconds(stamp: str, expected_ts: float) -> None:
    got = decode_one(f'{{"streamId": "d", "timestamp": {stamp}, "value": {{"t": 1}}}}')
    assert got.ts == pytest.approx(expected_ts, abs=1e-6)


def test_booleans_become_one_and_zero() -> None:
    got = decode_one('{"streamId": "d", "timestamp": 1, "value": {"open": true, "alarm": false}}')
    assert got.values == {"open": 1.0, "alarm": 0.0}
    assert all(type(v) is float for v in got.values.values())


def test_integers_are_floats_whether_or_not_a_boolean_is_beside_them() -> None:
    plain = decode_one('{"streamId": "d", "timestamp": 1, "value": {"count_in": 12, "ratio": 0.5}}')
    mixed = decode_one('{"streamId": "d", "timestamp": 1, "value": {"count_in": 12, "open": true}}')
    assert (plain.values, mixed.values) == ({"count_in": 12.0, "ratio": 0.5}, {"count_in": 12.0, "open": 1.0})
    assert all(type(v) is float for v in [*plain.values.values(), *mixed.values.values()])


def test_location_may_be_a_lon_lat_pair() -> None:
    got = decode_one('{"streamId": "d", "timestamp": 1, "location": [2.5, 48.5], "value": {"t": 1}}')
    assert got.position == Position(2.5, 48.5)


def test_a_message_without_id_gets_device_at_timestamp() -> None:
    assert decode_one('{"streamId": "d", "timestamp": 1722022200125, "value": {"t": 1}}').msg_id == "d@1722022200125"
    iso = decode_one('{"streamId": "d", "timestamp": "2024-07-26T19:30:00Z", "value": {"t": 1}}')
    assert iso.msg_id == "d@2024-07-26T19:30:00+00:00"


def test_an_event_alone_is_enough() -> None:
    got = decode_one('{"streamId": "d", "timestamp": 1, "event": {"type": "tamper"}}')
    assert got.values == {}
    assert (got.event_type, got.event_confidence) == ("tamper", 1.0)


def test_unknown_top_level_fields_are_ignored_for_forward_compatibility() -> None:
    assert decode_one('{"streamId": "d", "timestamp": 1, "value": {"t": 1}, "battery": "low"}').values == {"t": 1.0}


@pytest.mark.parametrize(
    ("payload", "reason", "detail"),
    [
        (b"", "empty", "the payload has no content (0 bytes)"),
        (b"  \n", "empty", "the payload has no content (3 bytes)"),
        ('{"streamId": "d", "timestamp": 1}', "empty", "value is empty and there is no event"),
        ('{"streamId": "d", "timestamp": 1, "value": {}}', "empty", "value is empty and there is no event"),
        ('{"streamId": "d", "timestamp": 1, "value": {"t": 1}', "malformed", "not valid JSON: Expecting ',' delimiter"),
        (b'{"streamId": "\xff"}', "malformed", "not UTF-8 text: invalid byte at position 14"),
        ("hello", "malformed", "not valid JSON: Expecting value at line 1 column 1"),
        ('{"a": 1} trailing', "malformed", "not valid JSON: Extra data"),
        ("[1, 2]", "wrong_type", "the message must be a JSON object, got array"),
        ("42", "wrong_type", "the message must be a JSON object, got number"),
        ('{"timestamp": 1, "value": {"t": 1}}', "wrong_type", "streamId: required field is missing"),
        ('{"streamId": 7, "timestamp": 1, "value": {"t": 1}}', "wrong_type", "streamId: expected a string, got number"),
        ('{"streamId": "", "timestamp": 1, "value": {"t": 1}}', "wrong_type", "streamId: must be 1..128 characters"),
        ('{"streamId": "d", "value": {"t": 1}}', "wrong_type", "timestamp: required field is missing"),
        ('{"streamId": "d", "timestamp": "yesterday", "value": {"t": 1}}', "wrong_type", "timestamp: 'yesterday' is"),
        (
            '{"streamId": "d", "timestamp": "2024-07-26T19:30:00", "value": {"t": 1}}',
            "wrong_type",
            "timestamp: '2024-07-26T19:30:00' is not an ISO 8601 date-time with Z or an offset",
        ),
        ('{"streamId": "d", "timestamp": true, "value": {"t": 1}}', "wrong_type", "timestamp: expected an ISO 8601"),
        (
            '{"streamId": "d", "timestamp": null, "value": {"t": 1}}',
            "wrong_type",
            "timestamp: expected an ISO 8601 string or epoch milliseconds, got null",
        ),
        ('{"streamId": "d", "timestamp": NaN, "value": {"t": 1}}', "wrong_type", "timestamp: expected a finite number"),
        (
            '{"streamId": "d", "timestamp": 1, "value": {"temp": "21.5"}}',
            "wrong_type",
            "value.temp: expected a number, got str",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "value": {"temp": null}}',
            "wrong_type",
            "value.temp: expected a number, got null",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "value": {"t": NaN}}',
            "wrong_type",
            "value.t: expected a finite number, got NaN",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "value": {"t": Infinity}}',
            "wrong_type",
            "value.t: expected a finite number, got Infinity",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "value": {"t": -Infinity}}',
            "wrong_type",
            "value.t: expected a finite number, got -Infinity",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "value": {"t": 1e999}}',
            "wrong_type",
            "value.t: expected a finite number, got inf",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "value": {"t": {"x": 1}}}',
            "wrong_type",
            "value.t: expected a number, got object (nested",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "value": {"t": [1, 2]}}',
            "wrong_type",
            "value.t: expected a number, got array",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "value": [1, 2]}',
            "wrong_type",
            "value: expected an object of metric name",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "value": {"Temp": 1}}',
            "wrong_type",
            "value: metric name 'Temp' must be 1..64",
        ),
        ('{"streamId": "d", "timestamp": 1, "value": {"": 1}}', "wrong_type", "value: metric name '' must be"),
        (
            '{"streamId": "d", "timestamp": 1, "value": {"' + "x" * 65 + '": 1}}',
            "wrong_type",
            "value: metric name 'xxxxxxxxxx",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "id": 5, "value": {"t": 1}}',
            "wrong_type",
            "id: expected a string, got number",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "id": "' + "i" * 129 + '", "value": {"t": 1}}',
            "wrong_type",
            "id: must be 1..128 characters, got 129",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "model": 3, "value": {"t": 1}}',
            "wrong_type",
            "model: expected a string, got number",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "location": {"lon": 2}, "value": {"t": 1}}',
            "wrong_type",
            "location.lat: required field is missing",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "location": {"lon": 200, "lat": 1}, "value": {"t": 1}}',
            "wrong_type",
            "location.lon: must be between -180 and 180, got 200",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "location": [1, 2, 3], "value": {"t": 1}}',
            "wrong_type",
            "location: expected [lon, lat], got an array of 3 items",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "location": [1, 95], "value": {"t": 1}}',
            "wrong_type",
            "location[1] (lat): must be between -90 and 90, got 95",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "location": "Paris", "value": {"t": 1}}',
            "wrong_type",
            "location: expected",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "tags": {"fw": null}, "value": {"t": 1}}',
            "wrong_type",
            "tags.fw: expected a string, number or bool, got null",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "tags": {"fw": [2]}, "value": {"t": 1}}',
            "wrong_type",
            "tags.fw: expected a string, number or bool, got array",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "tags": "fw", "value": {"t": 1}}',
            "wrong_type",
            "tags: expected an object",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "event": "door_forced"}',
            "wrong_type",
            "event: expected an object with a type, got str",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "event": {"confidence": 1}}',
            "wrong_type",
            "event.type: required field is missing",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "event": {"type": ""}}',
            "wrong_type",
            "event.type: must be 1..64 characters, got 0",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "event": {"type": "x", "confidence": 1.5}}',
            "wrong_type",
            "event.confidence: must be between 0 and 1, got 1.5",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "event": {"type": "x", "confidence": "high"}}',
            "wrong_type",
            "event.confidence: expected a number, got str",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "event": {"type": "x", "attributes": {"a": {"b": 1}}}}',
            "wrong_type",
            "event.attributes.a: expected a string, number, bool or null, got object",
        ),
        (
            '{"streamId": "d", "timestamp": 1, "event": {"type": "x", "attributes": []}}',
            "wrong_type",
            "event.attributes: expected an object",
        ),
    ],
)
def test_every_refusal_has_a_reason_and_a_detail_naming_the_field(
    payload: bytes | str, reason: str, detail: str
) -> None:
    refused = rejection(payload)
    assert refused.reason == reason
    assert refused.detail.startswith(detail), refused.detail


def test_a_deeply_nested_payload_is_malformed_not_a_crash() -> None:
    assert rejection(b"[" * 100_000).reason in ("malformed", "wrong_type")
    deep_value = b'{"streamId": "d", "timestamp": 1, "value": {"t": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}"
    refused = rejection(deep_value)
    assert (refused.reason, refused.detail) == ("malformed", "not valid JSON: nested too deeply")


# --- properties -------------------------------------------------------------------------------------------------


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_bytes_are_decoded_or_refused_never_anything_else(payload: bytes) -> None:
    result = decode_or_refusal(payload)
    if isinstance(result, RejectedInput):
        assert result.reason in ("malformed", "wrong_type", "empty")
        assert result.detail


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
METRICS = st.dictionaries(
    st.one_of(st.from_regex(r"\A[a-z0-9_]{1,10}\Z"), st.text(max_size=4)),
    st.one_of(st.floats(allow_nan=False), st.booleans(), st.integers(), JSON_VALUES),
    max_size=4,
)
STAMPS = st.one_of(
    st.integers(min_value=0, max_value=2 * 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["2024-07-26T19:30:00Z", "2024-07-26T19:30:00+02:00", "2024-07-26T19:30:00", "soon"]),
    JSON_SCALARS,
)
MESSAGES = st.fixed_dictionaries(
    {"streamId": st.one_of(st.text(min_size=0, max_size=4), JSON_SCALARS), "timestamp": STAMPS},
    optional={
        "id": st.one_of(st.text(max_size=4), JSON_SCALARS),
        "value": st.one_of(METRICS, JSON_VALUES),
        "location": st.one_of(
            st.fixed_dictionaries({"lon": st.floats(-200, 200), "lat": st.floats(-100, 100)}),
            st.tuples(st.floats(-200, 200), st.floats(-100, 100)).map(list),
            JSON_VALUES,
        ),
        "tags": st.dictionaries(st.text(max_size=4), JSON_VALUES, max_size=3),
        "event": st.one_of(
            st.fixed_dictionaries(
                {"type": st.one_of(st.text(max_size=4), JSON_SCALARS)},
                optional={
                    "confidence": st.one_of(st.floats(-1, 2), JSON_SCALARS),
                    "attributes": st.dictionaries(st.text(max_size=4), JSON_VALUES, max_size=3),
                },
            ),
            JSON_VALUES,
        ),
        "model": JSON_SCALARS,
    },
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(MESSAGES)
def test_the_typed_decoder_and_the_error_explainer_agree_on_what_is_valid(document: dict[str, object]) -> None:
    payload = json.dumps(document).encode()
    problem = find_problem(json.loads(payload))
    result = decode_or_refusal(payload)
    if not isinstance(result, RejectedInput) or result.reason == "empty":
        assert problem is None, f"the typed decoder accepted what the explainer refuses: {problem}"
    else:
        assert result.reason == "wrong_type"
        assert result.detail == problem, "the explainer must name the problem the typed decoder found"


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15))
def test_any_finite_number_round_trips_as_a_reading_value(number: float) -> None:
    got = decode_one(msgspec.json.encode({"streamId": "d", "timestamp": 1, "value": {"t": number}}))
    assert got.values["t"] == number
    assert math.isfinite(got.values["t"])
