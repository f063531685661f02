"""The hub: every tenant's live feed, the consoles connected to them, and the clock that batches what they get.

Input (from the live worker, `beffroi.workers.live`): the registry, the open alarms and incidents, alarm changes,
incident changes and reading batches. Output: per connected console, a snapshot or a resumption at connection, then
`changes` frames, at most one per `batch_interval_s` (`tick`). Everything runs on the event loop, without locks: a
connection's snapshot and its registration happen in one step, so no change falls between them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from beffroi.api.live.cursor import Cursor
from beffroi.api.live.feed import Entry, TenantFeed, visible
from beffroi.api.live.frames import changes_frame, encode
from beffroi.api.live.settings import LiveSettings
from beffroi.api.live.subscriber import Subscriber
from beffroi.domain.alarms import Alarm
from beffroi.domain.incidents import Incident
from beffroi.domain.messages import AlarmChange, IncidentChange
from beffroi.domain.observations import Reading
from beffroi.domain.registry import Device, Zone

log = logging.getLogger("beffroi.api.live")


@dataclass(frozen=True)
class Session:
    """A console just connected: where it starts, and the frame that brings it there (a snapshot, the changes it
    missed, or None when it missed nothing)."""

    subscriber: Subscriber
    cursor: str
    resumed: bool
    opening: bytes | None


class LiveHub:
    """Per-tenant live state, sequence numbers and subscribers (see the module docstring).

    `epoch` names this server run in every cursor; `clock` (epoch seconds) stamps zone states and times the zone
    coalescing and the closed alarms' retention.
    """

    def __init__(
        self, settings: LiveSettings | None = None, *, clock: Callable[[], float] = time.time, epoch: str | None = None
    ) -> None:
        self.settings = settings or LiveSettings()
        self.epoch = epoch or uuid.uuid4().hex[:12]
        self._clock = clock
        self._feeds: dict[str, TenantFeed] = {}
        self._task: asyncio.Task[None] | None = None
        self.registry_stale = False
        """Set when readings name devices the registry as loaded does not know: time to reload it."""
        self.frames_sent = 0

    def feed(self, tenant_id: str) -> TenantFeed:
        """The tenant's feed (created empty the first time)."""
        feed = self._feeds.get(tenant_id)
        if feed is None:
            feed = self._feeds[tenant_id] = TenantFeed(tenant_id, self.settings)
        return feed

    # --- input ----------------------------------------------------------------------------------------------------

    def replace_registry(self, tenant_id: str, zones: Sequence[Zone], devices: Sequence[Device]) -> None:
        """The tenant's zones and devices as the store holds them now."""
        self.feed(tenant_id).replace_registry(zones, devices, self._clock())

    def load_alarms(self, alarms: Iterable[Alarm]) -> None:
        """The open alarms the store holds, at start (any tenant)."""
        by_tenant: dict[str, list[Alarm]] = {}
        for alarm in alarms:
            by_tenant.setdefault(alarm.key.tenant_id, []).append(alarm)
        for tenant_id, tenant_alarms in by_tenant.items():
            self.feed(tenant_id).load_alarms(tenant_alarms, self._clock())

    def apply_alarm_change(self, change: AlarmChange) -> None:
        """An alarm changed (as the engine published it)."""
        self.feed(change.alarm.key.tenant_id).apply_alarm(change, self._clock())

    def load_incidents(self, incidents: Iterable[Incident]) -> None:
        """The open incidents the store holds, at start (any tenant)."""
        by_tenant: dict[str, list[Incident]] = {}
        for incident in incidents:
            by_tenant.setdefault(incident.tenant_id, []).append(incident)
        for tenant_id, tenant_incidents in by_tenant.items():
            self.feed(tenant_id).load_incidents(tenant_incidents)

    def apply_incident_change(self, change: IncidentChange) -> None:
        """An incident changed (as the incident worker published it)."""
        self.feed(change.incident.tenant_id).apply_incident(change, self._clock())

    def apply_readings(self, tenant_id: str, readings: Sequence[Reading]) -> None:
        """A batch of one tenant's readings."""
        feed = self._feeds.get(tenant_id)
        if feed is None:
            self.registry_stale = True
            return
        unknown = feed.unknown_devices
        feed.apply_readings(readings)
        if feed.unknown_devices != unknown:
            self.registry_stale = True

    # --- connections ----------------------------------------------------------------------------------------------

    def connect(self, tenant_id: str, since: Cursor | None, sites: Iterable[str] | None) -> Session:
        """Register a console of the tenant: it resumes after `since` when this run still knows every change since,
        and gets a snapshot otherwise. Call `disconnect` when it goes."""
        feed = self.feed(tenant_id)
        site_filter = frozenset(sites) if sites else None
        cursor = str(Cursor(self.epoch, feed.seq))
        subscriber = Subscriber(tenant_id, site_filter, feed.seq, self.settings.max_frames_behind)
        if since is not None and since.epoch == self.epoch and feed.can_resume(since.seq):
            missed = feed.changes_since(since.seq, site_filter)
            opening = changes_frame(cursor, missed) if missed else None
            session = Session(subscriber, cursor, True, opening)
        else:
            session = Session(subscriber, cursor, False, encode(feed.snapshot(cursor, site_filter, self._clock())))
        feed.subscribers.add(subscriber)
        return session

    def disconnect(self, subscriber: Subscriber) -> None:
        """The console has gone."""
        feed = self._feeds.get(subscriber.tenant_id)
        if feed is not None:
            feed.subscribers.discard(subscriber)

    def cursor_of(self, subscriber: Subscriber) -> str:
        """The subscriber's cursor: every change it may see up to there has been queued for it."""
        return str(Cursor(self.epoch, subscriber.cursor_seq))

    @property
    def subscribers(self) -> int:
        """Consoles connected."""
        return sum(len(feed.subscribers) for feed in self._feeds.values())

    # --- the clock ------------------------------------------------------------------------------------------------

    def tick(self, now: float | None = None) -> None:
        """Send the zones due, hand every tenant's pending changes to its subscribers as one frame each, and forget
        the alarms and incidents closed long enough ago."""
        now = self._clock() if now is None else now
        for feed in self._feeds.values():
            feed.flush_zones(now)
            pending = feed.take_pending()
            if pending and feed.subscribers:
                self._fan_out(feed, pending)
            feed.purge_closed(now)

    def _fan_out(self, feed: TenantFeed, entries: list[Entry]) -> None:
        first, last = entries[0].seq, entries[-1].seq
        cursor = str(Cursor(self.epoch, last))
        shared: dict[frozenset[str] | None, bytes | None] = {}  # one frame per sites filter
        for subscriber in feed.subscribers:
            if subscriber.after_seq >= last or subscriber.too_slow:
                continue
            sites = subscriber.sites
            if subscriber.after_seq < first:
                if sites in shared:
                    frame = shared[sites]
                else:
                    frame = shared[sites] = _frame(cursor, entries, sites, 0)
            else:
                frame = _frame(cursor, entries, sites, subscriber.after_seq)
            subscriber.cursor_seq = last
            if frame is not None:
                subscriber.offer(frame)
                self.frames_sent += 1

    async def start(self) -> None:
        """Run `tick` every `batch_interval_s` until `stop`."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="live-hub")

    async def stop(self) -> None:
        """Stop ticking."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        interval = self.settings.batch_interval_s
        while True:
            await asyncio.sleep(interval)
            try:
                self.tick()
            except Exception:
                log.exception("live hub: a tick failed; the next one retries")


def _frame(cursor: str, entries: list[Entry], sites: frozenset[str] | None, after_seq: int) -> bytes | None:
    """A `changes` frame of the entries after `after_seq` within `sites`; None when none is left."""
    if sites is None and after_seq == 0:
        return changes_frame(cursor, [entry.raw for entry in entries])
    raw = [entry.raw for entry in entries if entry.seq > after_seq and visible(entry.site_id, sites)]
    return changes_frame(cursor, raw) if raw else None
