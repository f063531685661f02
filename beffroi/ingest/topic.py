"""The MQTT data topic: `{prefix}/{tenant_id}/data/{site_id}/{device_id}`."""

from __future__ import annotations

import msgspec

from beffroi.errors import RejectedInput

DEFAULT_PREFIX = "beffroi"


class DataTopic(msgspec.Struct, frozen=True):
    """The parts of a data topic."""

    tenant_id: str
    site_id: str
    device_id: str


def data_topic(tenant_id: str, site_id: str, device_id: str, prefix: str = DEFAULT_PREFIX) -> str:
    """The topic a device publishes its messages on."""
    return f"{prefix}/{tenant_id}/data/{site_id}/{device_id}"


def subscription_filter(prefix: str = DEFAULT_PREFIX) -> str:
    """The filter that matches every tenant's data topics."""
    return f"{prefix}/+/data/#"


def parse_data_topic(topic: str, prefix: str | None = DEFAULT_PREFIX) -> DataTopic:
    """The tenant, site and device of a data topic; `RejectedInput("bad_topic")` when it has another shape.

    With `prefix=None` any non-empty prefix (one or more levels) is accepted: the subscription filters already
    chose which topics arrive.
    """
    if prefix is None:
        parts = topic.split("/")
        if len(parts) < 5 or parts[-3] != "data" or not all(parts):
            raise RejectedInput(
                "bad_topic",
                f"topic {topic[:200]!r} does not match {{prefix}}/{{tenant_id}}/data/{{site_id}}/{{device_id}}",
            )
        return DataTopic(tenant_id=parts[-4], site_id=parts[-2], device_id=parts[-1])
    expected = f"{prefix}/{{tenant_id}}/data/{{site_id}}/{{device_id}}"
    head = prefix + "/"
    if not topic.startswith(head):
        raise RejectedInput("bad_topic", f"topic {topic[:200]!r} does not start with {head!r}; expected {expected}")
    parts = topic[len(head) :].split("/")
    if len(parts) != 4 or parts[1] != "data" or not all(parts):
        raise RejectedInput("bad_topic", f"topic {topic[:200]!r} does not match {expected}")
    return DataTopic(tenant_id=parts[0], site_id=parts[2], device_id=parts[3])
