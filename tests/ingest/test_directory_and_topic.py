"""The device directory and the MQTT data topic."""

from __future__ import annotations

import pytest

from beffroi.errors import RejectedInput
from beffroi.ingest.directory import DeviceDirectory
from beffroi.ingest.topic import DataTopic, data_topic, parse_data_topic, subscription_filter
from tests.ingest.conftest import DEVICES, OTHER_TENANT, TENANT, device


def test_devices_are_found_by_tenant_and_id_only() -> None:
    directory = DeviceDirectory(DEVICES)
    found = directory.lookup(TENANT, "pc-01")
    assert found is not None
    assert found.site_id == "sdf"
    other = directory.lookup(OTHER_TENANT, "pc-01")
    assert other is not None
    assert other.site_id == "lyon-stadium"
    assert directory.lookup(OTHER_TENANT, "pc-02") is None
    assert directory.lookup("nobody", "pc-01") is None
    assert directory.has_tenant(TENANT)
    assert not directory.has_tenant("nobody")
    assert len(directory) == len(DEVICES)


def test_replace_swaps_the_whole_directory() -> None:
    directory = DeviceDirectory(DEVICES)
    directory.replace([device("new-01", tenant="nice")])
    assert directory.lookup(TENANT, "pc-01") is None
    assert directory.lookup("nice", "new-01") is not None
    assert not directory.has_tenant(TENANT)


def test_a_data_topic_round_trips() -> None:
    topic = data_topic("paris2024", "sdf", "pc-01")
    assert topic == "beffroi/paris2024/data/sdf/pc-01"
    assert parse_data_topic(topic) == DataTopic("paris2024", "sdf", "pc-01")
    assert parse_data_topic("city/x/t/data/s/d", prefix="city/x") == DataTopic("t", "s", "d")
    assert subscription_filter() == "beffroi/+/data/#"


@pytest.mark.parametrize(
    ("topic", "detail"),
    [
        ("other/t/data/s/d", "topic 'other/t/data/s/d' does not start with 'beffroi/'"),
        ("beffroi/t/data/s", "topic 'beffroi/t/data/s' does not match beffroi/{tenant_id}/data/{site_id}/{device_id}"),
        ("beffroi/t/data/s/d/extra", "does not match"),
        ("beffroi/t/status/s/d", "does not match"),
        ("beffroi//data/s/d", "does not match"),
        ("beffroi/t/data/s/", "does not match"),
    ],
)
def test_a_topic_of_another_shape_is_a_bad_topic(topic: str, detail: str) -> None:
    with pytest.raises(RejectedInput) as caught:
        parse_data_topic(topic)
    assert caught.value.reason == "bad_topic"
    assert detail in caught.value.detail


def test_any_prefix_is_accepted_when_none_is_required() -> None:
    from beffroi.ingest.topic import parse_data_topic as parse

    parts = parse("site/region/beffroi/t1/data/s1/d1", None)
    assert (parts.tenant_id, parts.site_id, parts.device_id) == ("t1", "s1", "d1")
    for bad in ("t1/data/s1/d1", "p/t1/telemetry/s1/d1", "p//data/s1/d1", "p/t1/data/s1/d1/extra"):
        with pytest.raises(RejectedInput, match="bad_topic"):
            parse(bad, None)
