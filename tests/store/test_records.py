"""Dead letters keep their raw bytes exactly; the audit log is append-only and queried newest first."""

from __future__ import annotations

from beffroi.domain.records import AuditEntry, DeadLetter
from beffroi.store.store import Store
from tests.store.samples import T0

RAW_BYTES = b'\xff\xfe{"value": \x00\x80 not utf-8 \xc3\x28}' + bytes(range(256))


def _letter(letter_id: str, tenant_id: str | None, ts: float = T0, raw: bytes = RAW_BYTES) -> DeadLetter:
    return DeadLetter(
        id=letter_id,
        ts=ts,
        source="mqtt:beffroi/x/y",
        reason="bad_json",
        detail="not JSON",
        raw=raw,
        tenant_id=tenant_id,
    )


def _entry(entry_id: str, ts: float, target_id: str = "al-1", tenant_id: str = "paris") -> AuditEntry:
    return AuditEntry(
        id=entry_id,
        ts=ts,
        tenant_id=tenant_id,
        actor="alice",
        action="alarm.acknowledge",
        target_type="alarm",
        target_id=target_id,
        details={"comment": "seen on camera 4", "priority": 2, "urgent": False, "value": 3.5, "note": None},
    )


def test_dead_letters_keep_raw_bytes_exactly(store: Store) -> None:
    letters = [_letter("dl-1", "paris"), _letter("dl-2", None, T0 + 1, b""), _letter("dl-3", "paris", T0 + 2, b"\x00")]
    assert store.insert_dead_letters(letters) == 3
    assert store.query_dead_letters(None) == letters[::-1]
    assert store.query_dead_letters("paris")[1].raw == RAW_BYTES


def test_dead_letters_are_stored_once_by_id(store: Store) -> None:
    assert store.insert_dead_letters([_letter("dl-1", "paris")]) == 1
    assert store.insert_dead_letters([_letter("dl-1", "paris"), _letter("dl-2", None)]) == 1
    assert store.insert_dead_letters([]) == 0


def test_dead_letters_of_a_tenant_leave_out_unknown_senders(store: Store) -> None:
    store.insert_dead_letters([_letter("dl-1", "paris"), _letter("dl-2", None, T0 + 1), _letter("dl-3", "lyon")])
    assert [d.id for d in store.query_dead_letters("paris")] == ["dl-1"]
    assert [d.id for d in store.query_dead_letters(None)] == ["dl-2", "dl-1", "dl-3"]
    assert [d.id for d in store.query_dead_letters(None, limit=1)] == ["dl-2"]


def test_audit_entries_round_trip_newest_first(store: Store) -> None:
    entries = [_entry("au-1", T0), _entry("au-2", T0 + 10, "al-2"), _entry("au-3", T0 + 20)]
    assert store.append_audit(entries) == 3
    assert store.query_audit("paris") == entries[::-1]


def test_audit_is_appended_once_by_id(store: Store) -> None:
    assert store.append_audit([_entry("au-1", T0)]) == 1
    assert store.append_audit([_entry("au-1", T0), _entry("au-2", T0 + 1)]) == 1
    assert store.append_audit([]) == 0
    assert len(store.query_audit("paris")) == 2


def test_audit_filters_by_time_and_target(store: Store) -> None:
    store.append_audit([_entry("au-1", T0), _entry("au-2", T0 + 10, "al-2"), _entry("au-3", T0 + 20)])
    assert [e.id for e in store.query_audit("paris", since=T0 + 10)] == ["au-3", "au-2"]
    assert [e.id for e in store.query_audit("paris", target_id="al-1")] == ["au-3", "au-1"]
    assert [e.id for e in store.query_audit("paris", since=T0 + 5, target_id="al-1")] == ["au-3"]
    assert [e.id for e in store.query_audit("paris", limit=1)] == ["au-3"]
