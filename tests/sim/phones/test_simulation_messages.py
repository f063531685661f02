"""A run limited to some sites, and a minute's records as the bus messages the mobile worker takes (SignallingRecords
in chunks, cells by id, timestamps on the simulator's emitted time)."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
import numpy as np
import pytest

from beffroi.domain import messages
from beffroi.domain.messages import SignallingRecords
from beffroi.errors import ConfigError
from beffroi.sim.phones import PhoneMinute, PhoneSimulation, cell_plan
from beffroi.sim.phones.simulation import RECORDS_PER_MESSAGE
from beffroi.sim.scenario import Scenario
from tests.sim.phones.conftest import SEED

MATCH = datetime.fromisoformat("2024-07-26T20:00:00+02:00")
NATS_MAX_PAYLOAD = 1024 * 1024
COLUMNS = ("ts", "subscriber", "cell", "event", "home_mcc", "billing_area", "timing_advance")


@pytest.fixture(scope="module")
def simulation(scenario: Scenario) -> PhoneSimulation:
    return PhoneSimulation(scenario, seed=SEED)


@pytest.fixture(scope="module")
def minute(simulation: PhoneSimulation) -> PhoneMinute:
    """A minute of the evening match, on both sites."""
    return next(iter(simulation.minutes(MATCH, MATCH + timedelta(minutes=1))))


def joined(batches: list[SignallingRecords], column: str) -> list[object]:
    return [value for batch in batches for value in getattr(batch, column)]


def test_a_minute_in_chunks_holds_its_records_in_order_with_cell_ids_and_shifted_times(
    simulation: PhoneSimulation, minute: PhoneMinute
) -> None:
    offset = 123_456.5
    batches = minute.messages("testcity", ts_offset=offset, chunk=700, batch_prefix="run-a")
    assert len(minute) > 2 * 700, "the minute must need several chunks"
    assert [len(batch.ts) for batch in batches[:-1]] == [700] * (len(batches) - 1)
    assert 0 < len(batches[-1].ts) <= 700
    for batch in batches:
        assert (batch.tenant_id, batch.operator) == ("testcity", "Orange")
        sizes = {len(getattr(batch, column)) for column in COLUMNS}
        assert sizes == {len(batch.ts)}
    expected = minute.batch()
    np.testing.assert_allclose(np.array([t for batch in batches for t in batch.ts]), expected.ts + offset)
    assert joined(batches, "subscriber") == expected.subscriber.tolist()
    plan_ids = [cell.id for cell in simulation.plan.cells]
    assert joined(batches, "cell") == [plan_ids[index] for index in expected.cell.tolist()]
    assert joined(batches, "event") == expected.event.tolist()
    assert joined(batches, "home_mcc") == expected.home_mcc.tolist()
    assert joined(batches, "billing_area") == expected.billing_area.tolist()
    assert expected.timing_advance is not None
    assert joined(batches, "timing_advance") == expected.timing_advance.tolist()
    ids = [batch.batch_id for batch in batches]
    assert len(set(ids)) == len(ids) and all(batch_id.startswith("run-a-") for batch_id in ids)
    again = minute.messages("testcity", ts_offset=offset, chunk=700, batch_prefix="run-a")
    assert [batch.batch_id for batch in again] == ids, "the same minute gives the same batch ids (deduplicated)"


def test_a_default_chunk_is_well_under_the_nats_message_limit_and_decodes_back(minute: PhoneMinute) -> None:
    batches = minute.messages("testcity", chunk=RECORDS_PER_MESSAGE)
    assert sum(len(batch.ts) for batch in batches) == len(minute)
    for batch in batches:
        data = messages.encode(batch)
        assert messages.decode(data, SignallingRecords) == batch
    # a full chunk of this minute's records, whatever the minute's size
    repeated = msgspec.structs.replace(
        batches[0], **{c: (getattr(batches[0], c) * RECORDS_PER_MESSAGE)[:RECORDS_PER_MESSAGE] for c in COLUMNS}
    )
    assert len(messages.encode(repeated)) < NATS_MAX_PAYLOAD / 2


def test_a_chunk_below_one_record_is_refused(minute: PhoneMinute) -> None:
    with pytest.raises(ValueError, match="chunk must be at least 1 record"):
        minute.messages("testcity", chunk=0)


def test_a_run_on_one_site_has_that_site_s_cells_and_places_only(scenario: Scenario) -> None:
    everywhere = PhoneSimulation(scenario, seed=SEED)
    station = PhoneSimulation(scenario, seed=SEED, sites=["gare"])
    assert {place.site_id for place in station.place_info} == {"gare"}
    assert {place.site_id for place in everywhere.place_info} == {"stade", "gare"}
    assert 0 < len(station.plan.cells) <= len(everywhere.plan.cells)
    assert station.plan == cell_plan(scenario, "Orange", 0.4, SEED, sites=["gare"])
    records = next(iter(station.minutes(MATCH, MATCH + timedelta(minutes=1))))
    assert len(records) > 0
    assert set(records.place.tolist()) <= set(range(len(station.place_info)))
    assert int(records.cell.max()) < len(station.plan.cells)


def test_an_unknown_site_is_refused_with_its_name(scenario: Scenario) -> None:
    with pytest.raises(ConfigError, match="'nowhere' is not a site of the scenario"):
        PhoneSimulation(scenario, seed=SEED, sites=["nowhere"])
