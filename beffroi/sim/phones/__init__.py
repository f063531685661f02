"""The simulated crowds carry phones: one operator's cell plan over the scenario's area, its subscribers and the
roamers on its network among the people the crowd model puts in each place, the signalling records they make, and
the ground truth beside them (people and phones per place and minute) to measure an estimator against."""

from beffroi.sim.phones.cells import CellArrays, cell_plan
from beffroi.sim.phones.files import TRUTH_COLUMNS, WriteSummary, write_signalling
from beffroi.sim.phones.places import PlaceInfo
from beffroi.sim.phones.population import Category
from beffroi.sim.phones.simulation import PhoneMinute, PhoneSimulation, signalling

__all__ = [
    "TRUTH_COLUMNS",
    "Category",
    "CellArrays",
    "PhoneMinute",
    "PhoneSimulation",
    "PlaceInfo",
    "WriteSummary",
    "cell_plan",
    "signalling",
    "write_signalling",
]
