"""A bus seen through a namespace: every subject gets a prefix, so several deployments (or test runs) can share
one NATS server without their subjects meeting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from beffroi.bus.base import Bus, BusMessage, ConsumerOptions, Handler, Subscription


class NamespacedBus:
    """Prefixes subjects with `namespace.` on the way out and removes the prefix on the way in."""

    def __init__(self, inner: Bus, namespace: str) -> None:
        if not namespace or any(c in namespace for c in ".*> \t"):
            raise ValueError(f"bus namespace {namespace!r} must be one subject token (no '.', '*', '>' or spaces)")
        self._inner = inner
        self._prefix = namespace + "."

    async def start(self) -> None:
        """Start the inner bus."""
        await self._inner.start()

    async def close(self) -> None:
        """Close the inner bus."""
        await self._inner.close()

    async def publish(self, subject: str, data: bytes, *, msg_id: str | None = None) -> None:
        """Publish under the namespace."""
        await self._inner.publish(self._prefix + subject, data, msg_id=msg_id)

    async def publish_many(self, items: Sequence[tuple[str, bytes, str | None]]) -> None:
        """Publish several messages under the namespace."""
        await self._inner.publish_many([(self._prefix + subject, data, msg_id) for subject, data, msg_id in items])

    async def subscribe(
        self, subject_filter: str, durable: str, handler: Handler, options: ConsumerOptions | None = None
    ) -> Subscription:
        """Subscribe under the namespace; handlers see subjects without it."""
        prefix_length = len(self._prefix)

        async def unprefixed(message: BusMessage) -> None:
            await handler(replace(message, subject=message.subject[prefix_length:]))

        return await self._inner.subscribe(self._prefix + subject_filter, durable, unprefixed, options)
