"""Remembers recent message ids per tenant in bounded memory, so at-least-once delivery never double-counts."""

from __future__ import annotations


class RecentIds:
    """The recent ids of one tenant: two generations of at most `capacity` ids each.

    Adding to a full current generation retires the previous one, so at least the last `capacity` ids are
    always remembered and never more than 2 × `capacity` are held; every operation is O(1).
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._current: set[str] = set()
        self._previous: set[str] = set()

    def __contains__(self, msg_id: str) -> bool:
        return msg_id in self._current or msg_id in self._previous

    def __len__(self) -> int:
        return len(self._current) + len(self._previous)

    def add(self, msg_id: str) -> None:
        """Remember `msg_id`."""
        if len(self._current) >= self.capacity:
            self._previous = self._current
            self._current = set()
        self._current.add(msg_id)

    def add_if_new(self, msg_id: str) -> bool:
        """Remember `msg_id` and return True, or return False when it is already remembered."""
        current = self._current
        if msg_id in current or msg_id in self._previous:
            return False
        if len(current) >= self.capacity:
            self._previous = current
            current = self._current = set()
        current.add(msg_id)
        return True

    def discard(self, msg_id: str) -> None:
        """Forget `msg_id` (its message was not delivered after all and must be accepted when it comes again)."""
        self._current.discard(msg_id)
        self._previous.discard(msg_id)


class DedupeFilter:
    """Recent message ids of every tenant; each tenant has its own bound so one tenant cannot evict another's."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._tenants: dict[str, RecentIds] = {}

    def seen(self, tenant_id: str, msg_id: str) -> bool:
        """True when `msg_id` of `tenant_id` is remembered."""
        recent = self._tenants.get(tenant_id)
        return recent is not None and msg_id in recent

    def add(self, tenant_id: str, msg_id: str) -> None:
        """Remember `msg_id` of `tenant_id`."""
        recent = self._tenants.get(tenant_id)
        if recent is None:
            recent = self._tenants[tenant_id] = RecentIds(self.capacity)
        recent.add(msg_id)

    def add_if_new(self, tenant_id: str, msg_id: str) -> bool:
        """Remember `msg_id` of `tenant_id` and return True, or return False when it is already remembered."""
        recent = self._tenants.get(tenant_id)
        if recent is None:
            recent = self._tenants[tenant_id] = RecentIds(self.capacity)
        return recent.add_if_new(msg_id)

    def discard(self, tenant_id: str, msg_id: str) -> None:
        """Forget `msg_id` of `tenant_id`."""
        recent = self._tenants.get(tenant_id)
        if recent is not None:
            recent.discard(msg_id)

    def size(self, tenant_id: str) -> int:
        """How many ids of `tenant_id` are held now (at most 2 × capacity)."""
        recent = self._tenants.get(tenant_id)
        return 0 if recent is None else len(recent)
