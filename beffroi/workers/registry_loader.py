"""Loads a scenario's registry (tenant, sites, zones, devices) into the store."""

from __future__ import annotations

import logging
from pathlib import Path

from beffroi.sim.scenario import load_scenario, to_registry
from beffroi.store.store import Store

log = logging.getLogger("beffroi.registry")


def load_registry_from_scenario(store: Store, scenario_path: Path) -> str:
    """Upsert the scenario's registry rows; returns the scenario's tenant id."""
    scenario = load_scenario(scenario_path)
    tenant, sites, zones, devices = to_registry(scenario)
    store.upsert_tenants([tenant])
    store.upsert_sites(sites)
    store.upsert_zones(zones)
    store.upsert_devices(devices)
    log.info(
        "registry loaded from %s: tenant %s, %d sites, %d zones, %d devices",
        scenario_path,
        tenant.id,
        len(sites),
        len(zones),
        len(devices),
    )
    return tenant.id
