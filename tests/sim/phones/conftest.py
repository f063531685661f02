"""A run of the simulated phones on the stadium test scenario (evening match of 30,000), shared by the tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pytest

from beffroi.sim.phones import PhoneMinute, PhoneSimulation
from beffroi.sim.scenario import Scenario

SEED = 7
RUN_START = datetime.fromisoformat("2024-07-26T16:00:00+02:00")
RUN_END = datetime.fromisoformat("2024-07-26T23:00:00+02:00")


@dataclass
class Run:
    """The minutes of a run and its records concatenated."""

    sim: PhoneSimulation
    minutes: list[PhoneMinute]
    ts: npt.NDArray[np.float64]
    phone: npt.NDArray[np.int64]
    event: npt.NDArray[np.uint8]
    cell: npt.NDArray[np.int32]
    spot: npt.NDArray[np.int32]
    minute: npt.NDArray[np.int64]
    """Each record's minute (index into `minutes`)."""


@pytest.fixture(scope="session")
def run(scenario: Scenario) -> Run:
    sim = PhoneSimulation(scenario, seed=SEED)
    minutes = list(sim.minutes(RUN_START, RUN_END))
    return Run(
        sim,
        minutes,
        np.concatenate([m.ts for m in minutes]),
        np.concatenate([m.phone for m in minutes]),
        np.concatenate([m.event for m in minutes]),
        np.concatenate([m.cell for m in minutes]),
        np.concatenate([m.spot for m in minutes]),
        np.repeat(np.arange(len(minutes)), [len(m) for m in minutes]),
    )
