"""The migrations create exactly the schema that tables.py declares, and running them again changes nothing."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from beffroi.store.migrator import alembic_config, current_revision, head_revision
from beffroi.store.store import Store
from beffroi.store.tables import metadata


def _engine(store: Store) -> sa.Engine:
    return store._engine


def test_migrated_schema_matches_the_declared_tables(store: Store) -> None:
    with _engine(store).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
        assert set(sa.inspect(connection).get_table_names()) == {*metadata.tables, "alembic_version"}


def test_the_open_alarm_key_index_is_partial_and_unique(store: Store) -> None:
    with _engine(store).connect() as connection:
        indexes = {index["name"]: index for index in sa.inspect(connection).get_indexes("alarms")}
    index = indexes["uq_alarms_open_key"]
    assert index["unique"]
    assert index["column_names"] == ["tenant_id", "key_text"]
    where = index.get("dialect_options", {}).get(f"{store.dialect}_where")
    assert where is not None
    assert "cleared" in str(where)


def test_migrate_is_idempotent_and_keeps_the_data(store: Store) -> None:
    from tests.store.conftest import tenant

    store.upsert_tenants([tenant()])
    store.migrate()
    store.migrate()
    with _engine(store).connect() as connection:
        assert current_revision(connection) == head_revision() == "0001"
    assert store.list_tenants() == [tenant()]


def test_downgrade_to_base_then_upgrade_recreates_everything(store: Store) -> None:
    with _engine(store).begin() as connection:
        command.downgrade(alembic_config(connection), "base")
        assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version"}
        assert current_revision(connection) is None
    store.migrate()
    with _engine(store).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
