"""What the worker tests share: the tiny scenario, a SQLite store holding its registry, and a started in-process
bus. A test file needing another store or bus defines its own fixture of the same name."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from beffroi.bus.base import Bus, create_bus
from beffroi.store.store import Store
from beffroi.workers.registry_loader import load_registry_from_scenario

TINY = Path(__file__).resolve().parents[2] / "scenarios" / "tests" / "tiny.json"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A migrated SQLite store with the tiny scenario's registry."""
    with Store(f"sqlite:///{tmp_path / 'beffroi.db'}") as opened:
        opened.migrate()
        load_registry_from_scenario(opened, TINY)
        yield opened


@pytest.fixture
async def bus() -> AsyncIterator[Bus]:
    """A started in-process bus, closed after the test."""
    started: Bus = create_bus("inprocess", "inprocess://")
    await started.start()
    yield started
    await started.close()
