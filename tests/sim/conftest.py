"""Fixtures of the simulator tests: the test scenario and a simulator factory with quiet defaults."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from beffroi.sim.scenario import Scenario
from beffroi.sim.simulator import Simulator
from tests.sim.factory import stadium_scenario

MakeSim = Callable[..., Simulator]


@pytest.fixture(scope="session")
def scenario() -> Scenario:
    """The stadium + station test scenario."""
    return stadium_scenario()


@pytest.fixture
def make_sim(scenario: Scenario) -> MakeSim:
    """Build a simulator on the test scenario: scenario timestamps, no random incidents, no PIR false positives."""

    def build(**overrides: Any) -> Simulator:
        options: dict[str, Any] = {
            "seed": 42,
            "time_origin": "scenario",
            "random_incidents_per_hour": 0.0,
            "pir_false_positives_per_day": 0.0,
            **overrides,
        }
        return Simulator(scenario, **options)

    return build
