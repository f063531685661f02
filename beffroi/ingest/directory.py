"""The devices the gateway accepts data from, looked up by (tenant, device id)."""

from __future__ import annotations

from collections.abc import Iterable

from beffroi.domain.registry import Device


class DeviceDirectory:
    """An in-memory index of the registry's devices; `replace` swaps in a new device list at run time."""

    def __init__(self, devices: Iterable[Device] = ()) -> None:
        self._by_key: dict[tuple[str, str], Device] = {}
        self._tenants: frozenset[str] = frozenset()
        self.replace(devices)

    def replace(self, devices: Iterable[Device]) -> None:
        """Make `devices` the whole directory (one assignment, so lookups never see a half-built index)."""
        index = {(device.tenant_id, device.id): device for device in devices}
        tenants = frozenset(tenant for tenant, _ in index)
        self._by_key, self._tenants = index, tenants

    def lookup(self, tenant_id: str, device_id: str) -> Device | None:
        """The device `device_id` of `tenant_id`, or None when the tenant has no such device."""
        return self._by_key.get((tenant_id, device_id))

    def has_tenant(self, tenant_id: str) -> bool:
        """True when at least one device belongs to `tenant_id`."""
        return tenant_id in self._tenants

    def __len__(self) -> int:
        return len(self._by_key)
