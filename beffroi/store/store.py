"""The `Store` facade: one object per process, thread-safe, that owns the engine and every transaction.

Each public method runs in its own transaction and translates database errors into `beffroi.errors.StoreError`
(`NotFound` for a missing row, `DuplicateOpenAlarm` for a second open alarm with one key). The repository modules
do the work; this class picks the connection, the transaction and the locking.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from types import TracebackType

import sqlalchemy as sa

from beffroi.crowd.mobile.results import MobileSlotEstimate
from beffroi.domain.alarms import Alarm, AlarmState
from beffroi.domain.incidents import Incident, IncidentRecord, IncidentState, TimelineEntry, TimelineKind
from beffroi.domain.messages import IncidentChange
from beffroi.domain.observations import Event, Reading
from beffroi.domain.records import AuditEntry, DeadLetter
from beffroi.domain.registry import Device, Site, Tenant, Zone
from beffroi.errors import StoreError
from beffroi.store import alarms as alarm_repository
from beffroi.store import (
    audit,
    cap_messages,
    dead_letters,
    events,
    mobile_estimates,
    readings,
    registry,
    rollups,
    users,
)
from beffroi.store import incidents as incident_repository
from beffroi.store.alarms import AlarmRateHistory
from beffroi.store.cap_messages import CapMessageRecord
from beffroi.store.database import WRITE_OPTION, create_engine, is_memory_sqlite, parse_url
from beffroi.store.errors import translated
from beffroi.store.incidents import DispositionCounts, RateGrouping
from beffroi.store.migrator import upgrade_to_head
from beffroi.store.mobile_estimates import MobileSlot, ZoneSlot
from beffroi.store.rollups import ReadingBucket
from beffroi.store.users import UserRecord


class Store:
    """The database of Beffroi: SQLite (`sqlite:///PATH`) or PostgreSQL (`postgresql+psycopg://…`).

    `password`, when given, is put into the URL (so it never has to be written in a config file).
    Nothing connects until the first call; call `migrate()` once at start-up before anything else.
    """

    def __init__(self, url: str, *, password: str | None = None) -> None:
        parsed = parse_url(url, password)
        self._url_text = parsed.render_as_string(hide_password=True)
        with translated(f"opening {self._url_text}", parsed.get_backend_name()):
            self._engine = create_engine(parsed)
        self._dialect = self._engine.dialect.name
        self._closed = False
        # SQLite takes one writer at a time: queue this process's writers on a lock rather than on the
        # database's busy timeout. An in-memory database is one shared connection: readers take the lock too.
        self._write_lock: AbstractContextManager[object] = (
            threading.Lock() if self._dialect == "sqlite" else nullcontext()
        )
        self._read_lock = self._write_lock if is_memory_sqlite(parsed) else nullcontext()

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self._dialect

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self._url_text

    def __repr__(self) -> str:
        return f"Store({self._url_text!r})"

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close every pooled connection; the store cannot be used afterwards."""
        self._closed = True
        self._engine.dispose()

    @contextmanager
    def _reading(self, operation: str) -> Iterator[sa.Connection]:
        self._check_open()
        with translated(operation, self._dialect), self._read_lock, self._engine.connect() as connection:
            yield connection

    @contextmanager
    def _writing(self, operation: str) -> Iterator[sa.Connection]:
        self._check_open()
        with (
            translated(operation, self._dialect),
            self._write_lock,
            self._engine.connect().execution_options(**{WRITE_OPTION: True}) as connection,
            connection.begin(),
        ):
            yield connection

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"{self!r} is closed")

    # schema

    def migrate(self) -> None:
        """Bring the schema to the newest migration (Alembic `upgrade head`); does nothing when it is there."""
        with self._writing("migrating the schema") as connection:
            upgrade_to_head(connection)

    # registry

    def upsert_tenants(self, items: Sequence[Tenant]) -> None:
        """Insert or update tenants by id."""
        with self._writing("saving tenants") as connection:
            registry.upsert_tenants(connection, items)

    def upsert_sites(self, items: Sequence[Site]) -> None:
        """Insert or update sites by tenant and id; their tenant must exist."""
        with self._writing("saving sites") as connection:
            registry.upsert_sites(connection, items)

    def upsert_zones(self, items: Sequence[Zone]) -> None:
        """Insert or update zones by tenant and id; their site must exist."""
        with self._writing("saving zones") as connection:
            registry.upsert_zones(connection, items)

    def upsert_devices(self, items: Sequence[Device]) -> None:
        """Insert or update devices by tenant and id; their site (and zone, when set) must exist."""
        with self._writing("saving devices") as connection:
            registry.upsert_devices(connection, items)

    def list_tenants(self) -> list[Tenant]:
        """Every tenant, by id."""
        with self._reading("listing tenants") as connection:
            return registry.list_tenants(connection)

    def list_sites(self, tenant_id: str) -> list[Site]:
        """The tenant's sites, by id."""
        with self._reading("listing sites") as connection:
            return registry.list_sites(connection, tenant_id)

    def list_zones(self, tenant_id: str, site_id: str | None = None) -> list[Zone]:
        """The tenant's zones (of one site when given), by id."""
        with self._reading("listing zones") as connection:
            return registry.list_zones(connection, tenant_id, site_id)

    def list_devices(self, tenant_id: str, site_id: str | None = None) -> list[Device]:
        """The tenant's devices (of one site when given), by id."""
        with self._reading("listing devices") as connection:
            return registry.list_devices(connection, tenant_id, site_id)

    def get_device(self, tenant_id: str, device_id: str) -> Device:
        """One device of the tenant; raises NotFound when the tenant has no such device."""
        with self._reading("reading a device") as connection:
            return registry.get_device(connection, tenant_id, device_id)

    # readings

    def insert_readings(self, batch: Sequence[Reading]) -> int:
        """Store a batch of readings, skipping those already stored (same tenant, device, metric and ts).

        Returns how many were new. A reading with a non-finite value or an impossible time rejects the whole
        batch with RejectedInput naming it, before anything is written.
        """
        if not batch:
            return 0
        with self._writing("inserting readings") as connection:
            return readings.insert_readings(connection, batch)

    def query_readings(
        self,
        tenant_id: str,
        *,
        device_id: str | None = None,
        metric: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 1000,
    ) -> list[Reading]:
        """The tenant's readings newest first, filtered by device, metric and time (`since` <= ts <= `until`)."""
        with self._reading("querying readings") as connection:
            return readings.query_readings(
                connection, tenant_id, device_id=device_id, metric=metric, since=since, until=until, limit=limit
            )

    def rollup_readings(
        self,
        tenant_id: str,
        device_id: str,
        metric: str,
        *,
        bucket_s: int,
        since: float | None = None,
        until: float | None = None,
        limit: int = 1000,
    ) -> list[ReadingBucket]:
        """Min, max, mean and count of one device's metric per bucket of `bucket_s` seconds, newest bucket first."""
        with self._reading("rolling up readings") as connection:
            return rollups.rollup_readings(
                connection, tenant_id, device_id, metric, bucket_s=bucket_s, since=since, until=until, limit=limit
            )

    def count_readings(self, tenant_id: str) -> int:
        """How many readings the tenant has."""
        with self._reading("counting readings") as connection:
            return readings.count_readings(connection, tenant_id)

    # events

    def insert_events(self, batch: Sequence[Event]) -> int:
        """Store the events not stored yet (by tenant and event id); returns how many were new."""
        if not batch:
            return 0
        with self._writing("inserting events") as connection:
            return events.insert_events(connection, batch)

    def query_events(
        self,
        tenant_id: str,
        *,
        type: str | None = None,
        site_id: str | None = None,
        source: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 1000,
    ) -> list[Event]:
        """The tenant's events newest first, filtered by type, site, source and time (`since` <= ts <= `until`)."""
        with self._reading("querying events") as connection:
            return events.query_events(
                connection,
                tenant_id,
                type=type,
                site_id=site_id,
                source=source,
                since=since,
                until=until,
                limit=limit,
            )

    # alarms

    def save_alarms(self, batch: Sequence[Alarm]) -> None:
        """Insert or update alarms by tenant and id, in one transaction.

        Raises DuplicateOpenAlarm (and writes nothing) when an open alarm would join another open alarm with the
        same key; alarms of the batch that clear are written first, so a batch may close one and open the next.
        """
        prepared = alarm_repository.prepare(batch)
        if not prepared:
            return
        try:
            with self._writing("saving alarms") as connection:
                alarm_repository.save_alarms(connection, prepared)
        except StoreError as error:
            if not isinstance(error.__cause__, sa.exc.IntegrityError):
                raise
            with self._reading("explaining a failed alarm save") as connection:
                conflict = alarm_repository.find_open_conflict(connection, prepared)
            if conflict is None:
                raise
            raise conflict from error

    def get_alarm(self, tenant_id: str, alarm_id: str) -> Alarm:
        """One alarm of the tenant; raises NotFound when the tenant has no such alarm."""
        with self._reading("reading an alarm") as connection:
            return alarm_repository.get_alarm(connection, tenant_id, alarm_id)

    def open_alarms(self, tenant_id: str | None = None) -> list[Alarm]:
        """Every open (not cleared) alarm of the tenant, or of all tenants when None; newest raised first."""
        with self._reading("listing open alarms") as connection:
            return alarm_repository.open_alarms(connection, tenant_id)

    def query_alarms(
        self,
        tenant_id: str,
        *,
        states: Sequence[AlarmState] | None = None,
        site_id: str | None = None,
        limit: int = 1000,
    ) -> list[Alarm]:
        """The tenant's alarms in one of `states` and on one site when given, the most urgent first, then the newest
        raised first; `limit` keeps the first ones of that order."""
        with self._reading("querying alarms") as connection:
            return alarm_repository.query_alarms(connection, tenant_id, states=states, site_id=site_id, limit=limit)

    def alarm_rate_history(
        self, tenant_id: str, *, since: float, until: float | None, active_type: str
    ) -> AlarmRateHistory:
        """The tenant's alarms raised from `since` to `until` (None: no end; oldest first), the sources of its open
        alarms of type `active_type` whose condition is active, and its newest raise; read in one transaction."""
        with self._reading("reading alarm rates") as connection:
            return alarm_repository.alarm_rate_history(
                connection, tenant_id, since=since, until=until, active_type=active_type
            )

    # incidents

    def save_incident_changes(
        self, changes: Sequence[IncidentChange], audit_entries: Sequence[AuditEntry] = ()
    ) -> None:
        """Write incident changes (the incidents, the alarms that joined, timeline entries, evidence, procedure
        steps) and their audit entries in one transaction. An alarm already in another incident stays there."""
        if not changes and not audit_entries:
            return
        with self._writing("saving incident changes") as connection:
            incident_repository.save_changes(connection, changes)
            if audit_entries:
                audit.append_audit(connection, audit_entries)

    def get_incident(self, tenant_id: str, incident_id: str) -> Incident:
        """One incident of the tenant; raises NotFound when the tenant has no such incident."""
        with self._reading("reading an incident") as connection:
            return incident_repository.get_incident(connection, tenant_id, incident_id)

    def get_incident_record(self, tenant_id: str, incident_id: str) -> IncidentRecord:
        """One incident with its alarms, timeline, evidence and procedure; raises NotFound when there is none."""
        with self._reading("reading an incident record") as connection:
            return incident_repository.get_record(connection, tenant_id, incident_id)

    def open_incident_records(self, tenant_id: str | None = None) -> list[IncidentRecord]:
        """Every incident not closed, of the tenant or of all tenants when None, with its alarms and procedure."""
        with self._reading("listing open incidents") as connection:
            return incident_repository.open_records(connection, tenant_id)

    def query_incidents(
        self,
        tenant_id: str,
        *,
        states: Sequence[IncidentState] | None = None,
        site_id: str | None = None,
        priorities: Sequence[int] | None = None,
        assignee: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[Incident], int]:
        """A page of the tenant's incidents (the most urgent, then the newest opened first) and the count of all
        those matching the filters."""
        with self._reading("querying incidents") as connection:
            return incident_repository.query_incidents(
                connection,
                tenant_id,
                states=states,
                site_id=site_id,
                priorities=priorities,
                assignee=assignee,
                limit=limit,
                offset=offset,
            )

    def incident_of_alarm(self, tenant_id: str, alarm_id: str) -> str | None:
        """The id of the incident holding the alarm, or None."""
        with self._reading("finding an alarm's incident") as connection:
            return incident_repository.incident_of_alarm(connection, tenant_id, alarm_id)

    def incident_exists(self, tenant_id: str, incident_id: str) -> bool:
        """True when the tenant has this incident."""
        with self._reading("checking an incident") as connection:
            return incident_repository.incident_exists(connection, tenant_id, incident_id)

    def query_incident_timeline(
        self,
        tenant_id: str,
        *,
        kinds: Sequence[TimelineKind] | None = None,
        since: float | None = None,
        limit: int = 1000,
    ) -> list[TimelineEntry]:
        """Timeline entries of all the tenant's incidents, newest first, of these kinds and from `since` on."""
        with self._reading("querying incident timelines") as connection:
            return incident_repository.query_timeline(connection, tenant_id, kinds=kinds, since=since, limit=limit)

    def incident_disposition_counts(
        self, tenant_id: str, by: RateGrouping, *, since: float | None = None, site_id: str | None = None
    ) -> list[DispositionCounts]:
        """Dispositions and false-alarm rates per alarm type, source, rule or incident type, highest rate first."""
        with self._reading("counting incident dispositions") as connection:
            return incident_repository.disposition_counts(connection, tenant_id, by, since=since, site_id=site_id)

    def record_cap_message(self, record: CapMessageRecord, audit_entries: Sequence[AuditEntry] = ()) -> bool:
        """Record a CAP message sent for an incident, with its audit entries, in one transaction; False (writing
        nothing) when the incident already has a message of that revision. The incident must exist."""
        with self._writing("recording a CAP message") as connection:
            recorded = cap_messages.record_cap_message(connection, record)
            if recorded and audit_entries:
                audit.append_audit(connection, audit_entries)
            return recorded

    def cap_messages(self, tenant_id: str, incident_id: str) -> list[CapMessageRecord]:
        """The CAP messages sent for the tenant's incident, oldest revision first."""
        with self._reading("reading CAP messages") as connection:
            return cap_messages.cap_messages(connection, tenant_id, incident_id)

    # mobile-network crowd figures

    def save_mobile_estimate(self, tenant_id: str, estimate: MobileSlotEstimate) -> bool:
        """Store one operator's slot figures for the tenant; False (writing nothing) when stored already."""
        with self._writing("storing mobile-network figures") as connection:
            return mobile_estimates.save_mobile_estimate(connection, tenant_id, estimate)

    def mobile_zone_slots(self, tenant_id: str, zone_id: str, since: float, until: float) -> list[ZoneSlot]:
        """The tenant's mobile slots ending in (since, until], oldest first, with the zone's figures."""
        with self._reading("reading mobile-network figures") as connection:
            return mobile_estimates.zone_slots(connection, tenant_id, zone_id, since, until)

    def newest_mobile_slot(self, tenant_id: str) -> MobileSlot | None:
        """The tenant's mobile slot that ended last, or None."""
        with self._reading("reading mobile-network figures") as connection:
            return mobile_estimates.newest_slot(connection, tenant_id)

    # dead letters and audit

    def insert_dead_letters(self, batch: Sequence[DeadLetter]) -> int:
        """Store the dead letters not stored yet (by id), raw bytes untouched; returns how many were new."""
        if not batch:
            return 0
        with self._writing("inserting dead letters") as connection:
            return dead_letters.insert_dead_letters(connection, batch)

    def query_dead_letters(self, tenant_id: str | None, *, limit: int = 1000) -> list[DeadLetter]:
        """Dead letters newest first: the tenant's, or all of them (unknown senders included) when None."""
        with self._reading("querying dead letters") as connection:
            return dead_letters.query_dead_letters(connection, tenant_id, limit=limit)

    def append_audit(self, entries: Sequence[AuditEntry]) -> int:
        """Append audit entries not appended yet (by tenant and id); returns how many were new."""
        if not entries:
            return 0
        with self._writing("appending to the audit log") as connection:
            return audit.append_audit(connection, entries)

    def query_audit(
        self, tenant_id: str, *, since: float | None = None, target_id: str | None = None, limit: int = 1000
    ) -> list[AuditEntry]:
        """The tenant's audit entries newest first, from `since` on, about one target when given."""
        with self._reading("querying the audit log") as connection:
            return audit.query_audit(connection, tenant_id, since=since, target_id=target_id, limit=limit)

    # users

    def upsert_user(self, user: UserRecord) -> None:
        """Insert or replace a local account by tenant and username; its tenant must exist."""
        with self._writing("saving a user") as connection:
            users.upsert_user(connection, user)

    def add_user(self, user: UserRecord, audit_entries: Sequence[AuditEntry] = ()) -> bool:
        """Create an account and append its audit entries, in one transaction; False, writing nothing, when the
        tenant already has a user with this name. Its tenant must exist."""
        with self._writing("adding a user") as connection:
            created = users.insert_user(connection, user)
            if created and audit_entries:
                audit.append_audit(connection, audit_entries)
            return created

    def update_user(
        self,
        tenant_id: str,
        username: str,
        *,
        role: str | None = None,
        disabled: bool | None = None,
        display_name: str | None = None,
        password_hash: str | None = None,
        audit_entries: Sequence[AuditEntry] = (),
    ) -> UserRecord:
        """Change the given fields of an account (None: unchanged) and append the audit entries, in one transaction;
        the account as it is now. Raises NotFound (writing nothing) when the tenant has no such user."""
        with self._writing("updating a user") as connection:
            updated = users.update_user(
                connection,
                tenant_id,
                username,
                role=role,
                disabled=disabled,
                display_name=display_name,
                password_hash=password_hash,
            )
            if audit_entries:
                audit.append_audit(connection, audit_entries)
            return updated

    def get_user(self, tenant_id: str, username: str) -> UserRecord:
        """One account of the tenant; raises NotFound when the tenant has no such user."""
        with self._reading("reading a user") as connection:
            return users.get_user(connection, tenant_id, username)

    def list_users(self, tenant_id: str) -> list[UserRecord]:
        """The tenant's accounts, by username."""
        with self._reading("listing users") as connection:
            return users.list_users(connection, tenant_id)
