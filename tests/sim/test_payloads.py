"""What goes on the wire follows PAYLOAD.md: topic shape, fields, types, timestamps, unique ids."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import msgspec
import pytest

from beffroi.errors import ConfigError
from beffroi.sim.payloads import PayloadEncoder
from tests.sim.conftest import MakeSim
from tests.sim.wire import decode

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def test_every_message_is_a_valid_payload_on_its_device_topic(make_sim: MakeSim) -> None:
    simulator = make_sim(topic_prefix="beffroi")
    kinds = {d.id: d for d in simulator.devices}
    messages = simulator.messages_for(3 * 3600)
    assert len(messages) > 5000
    ids = set()
    for message in messages:
        payload = decode(message.payload)  # strict: unknown fields, wrong types, bad metric names all fail
        prefix, tenant, data, site, device_id = message.topic.split("/")
        assert (prefix, tenant, data) == ("beffroi", "testcity", "data")
        assert device_id == payload.stream_id == message.device_id
        assert site == kinds[device_id].site_id
        assert TIMESTAMP.match(payload.timestamp), payload.timestamp
        assert payload.ts() == pytest.approx(message.ts, abs=1e-6)
        assert payload.value, "value may be empty only with an event"
        assert all(type(v) in (int, float) for v in payload.value.values())
        ids.add(payload.id)
    assert len(ids) == len(messages)


def test_model_is_sent_only_when_the_scenario_names_one(make_sim: MakeSim) -> None:
    for message in make_sim().messages_for(120):
        payload = decode(message.payload)
        if message.device_id == "pc-gate-1":
            assert payload.model == "Xovis PC2S"
        else:
            assert payload.model is None
            assert b'"model"' not in message.payload


def test_topic_prefix_may_have_several_levels(make_sim: MakeSim) -> None:
    message = make_sim(topic_prefix="city/sensors").messages_for(60)[0]
    assert message.topic.startswith("city/sensors/testcity/data/")


@pytest.mark.parametrize("prefix", ["", "a/+/b", "#", "/beffroi", "beffroi/", "a//b"])
def test_unusable_topic_prefixes_are_refused(make_sim: MakeSim, prefix: str) -> None:
    with pytest.raises(ConfigError, match="topic_prefix"):
        make_sim(topic_prefix=prefix)


def test_timestamps_are_iso_utc_with_milliseconds() -> None:
    encoder = PayloadEncoder()
    for ts_ms in (1_722_016_799_999, 1_722_016_800_000, 1_722_016_800_001, 1_722_016_799_998, 0):
        expected = datetime.fromtimestamp(ts_ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        assert encoder.timestamp(ts_ms) == expected


def test_payload_checker_rejects_what_the_contract_forbids() -> None:
    good = b'{"id":"x-1","streamId":"x","timestamp":"2024-07-26T19:30:00.125Z","value":{"a":1}}'
    decode(good)
    for bad in (
        b'{"id":"x-1","streamId":"x","timestamp":"2024-07-26T19:30:00.125Z","value":{"a":"1"}}',
        b'{"id":"x-1","streamId":"x","timestamp":"2024-07-26T19:30:00.125Z","value":{"A-b":1}}',
        b'{"id":"x-1","streamId":"x","timestamp":"2024-07-26T19:30:00.125Z","value":{"a":null}}',
        b'{"id":"","streamId":"x","timestamp":"2024-07-26T19:30:00.125Z","value":{"a":1}}',
        b'{"id":"x-1","streamId":"x","timestamp":"2024-07-26T19:30:00.125Z","value":{"a":1},"extra":2}',
    ):
        with pytest.raises(msgspec.ValidationError):
            decode(bad)
