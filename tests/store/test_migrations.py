"""The migrations create exactly the schema that tables.py declares, and running them again changes nothing."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import msgspec
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from beffroi.domain.alarms import Priority
from beffroi.domain.incidents import open_incident
from beffroi.domain.messages import IncidentChange, IncidentChangeKind
from beffroi.engine.procedures import attach, load_procedures
from beffroi.store.migrator import alembic_config, current_revision, head_revision
from beffroi.store.store import Store
from beffroi.store.tables import metadata
from tests.store.samples import load_registry, tenant, zone


def _differences(connection: sa.Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def test_migrated_schema_matches_the_declared_tables(store: Store, engine: sa.Engine) -> None:
    with engine.connect() as connection:
        assert _differences(connection) == []
        assert set(sa.inspect(connection).get_table_names()) == {*metadata.tables, "alembic_version"}


def test_a_schema_that_differs_is_noticed(store: Store, engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX ix_events_tenant_id_ts")
        differences = _differences(connection)
        connection.rollback()
    assert [difference[0] for difference in differences] == ["add_index"]  # type: ignore[index]


def test_the_open_alarm_key_index_is_partial_and_unique(store: Store, engine: sa.Engine) -> None:
    with engine.connect() as connection:
        indexes = {index["name"]: index for index in sa.inspect(connection).get_indexes("alarms")}
    index = indexes["uq_alarms_open_key"]
    assert index["unique"]
    assert index["column_names"] == ["tenant_id", "key_text"]
    where = index.get("dialect_options", {}).get(f"{store.dialect}_where")
    assert "cleared" in str(where)


def test_migrate_is_idempotent_and_keeps_the_data(store: Store, engine: sa.Engine) -> None:
    store.upsert_tenants([tenant()])
    store.migrate()
    store.migrate()
    with engine.connect() as connection:
        assert current_revision(connection) == head_revision() == "0009"
    assert store.list_tenants() == [tenant()]


def test_downgrade_to_base_then_upgrade_recreates_everything(store: Store, engine: sa.Engine) -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
        assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version"}
        assert current_revision(connection) is None
    store.migrate()
    with engine.connect() as connection:
        assert _differences(connection) == []


def test_procedure_steps_saved_before_0006_read_in_english_with_no_translation(store: Store, engine: sa.Engine) -> None:
    store.upsert_tenants([tenant()])
    generic = load_procedures().for_type("generic")
    assert generic is not None and generic.translations
    run = attach(generic, "paris", "inc-1", 1_700_000_000.0)
    incident = open_incident(
        "inc-1", "paris", type="generic", title="Generic", priority=Priority.LOW, rule="r", ts=run.attached_at
    )
    incident = msgspec.structs.replace(incident, procedure=run.procedure)
    store.save_incident_changes([IncidentChange(IncidentChangeKind.OPENED, incident, procedure=run)])
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0005")
        command.upgrade(alembic_config(connection), "head")
    before = store.get_incident_record("paris", "inc-1").procedure
    assert before is not None and (before.language, before.translations) == ("en", {})
    assert [step.text for step in before.steps] == [step.text for step in run.steps]
    assert all(step.translations == {} for step in before.steps)


def test_zone_widths_come_with_0009_and_go_with_its_downgrade(store: Store, engine: sa.Engine) -> None:
    load_registry(store)
    store.upsert_zones([msgspec.structs.replace(zone(), width_m=12.5)])
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0008")
        assert "width_m" not in {column["name"] for column in sa.inspect(connection).get_columns("zones")}
        command.upgrade(alembic_config(connection), "head")
    assert store.list_zones("paris") == [zone()]  # the zone stays; its width went with the column
    store.upsert_zones([msgspec.structs.replace(zone(), width_m=12.5)])
    assert store.list_zones("paris")[0].width_m == 12.5


@pytest.mark.parametrize("url", ["sqlite://", "postgresql+psycopg://"])
def test_migrations_can_be_written_as_sql_for_a_dba(url: str) -> None:
    buffer = io.StringIO()
    config = alembic_config()
    config.output_buffer = buffer
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head", sql=True)
    sql = buffer.getvalue()
    for table in metadata.tables:
        assert f"CREATE TABLE {table} (" in sql
    assert "CREATE UNIQUE INDEX uq_alarms_open_key ON alarms (tenant_id, key_text) WHERE state <> 'cleared'" in sql
    assert "INSERT INTO alembic_version (version_num) VALUES ('0001')" in sql


def test_stores_starting_together_migrate_once(store: Store, engine: sa.Engine) -> None:
    """Several processes starting at once (here: several stores, each with its own engine) all come up migrated."""
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    url = engine.url.render_as_string(hide_password=False)
    starting = [Store(url) for _ in range(4)]
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(Store.migrate, starting))
    finally:
        for each in starting:
            each.close()
    with engine.connect() as connection:
        assert current_revision(connection) == head_revision()
        assert _differences(connection) == []
