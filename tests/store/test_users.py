"""Local accounts: created once or upserted by (tenant, username), changed field by field with their audit entries,
read back whole, scoped to their tenant."""

from __future__ import annotations

import msgspec
import pytest

from beffroi.domain.records import AuditEntry
from beffroi.errors import NotFound, StoreError
from beffroi.store.store import Store
from beffroi.store.users import UserRecord
from tests.store.samples import T0, load_registry


def user(tenant_id: str = "paris", username: str = "alice", role: str = "operator") -> UserRecord:
    return UserRecord(
        tenant_id=tenant_id,
        username=username,
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        role=role,
        display_name="Alice Martin",
        disabled=False,
        created_at=T0,
    )


def test_a_user_is_saved_and_read_back_whole(store: Store) -> None:
    load_registry(store)
    store.upsert_user(user())
    assert store.get_user("paris", "alice") == user()
    assert store.list_users("paris") == [user()]


def test_upserting_again_replaces_the_account(store: Store) -> None:
    load_registry(store)
    store.upsert_user(user())
    changed = msgspec.structs.replace(user(), role="admin", disabled=True, display_name="A. Martin")
    store.upsert_user(changed)
    assert store.get_user("paris", "alice") == changed
    assert len(store.list_users("paris")) == 1


def test_users_are_scoped_to_their_tenant(store: Store) -> None:
    load_registry(store, "paris")
    load_registry(store, "lyon")
    store.upsert_user(user("paris", "alice"))
    store.upsert_user(user("lyon", "alice", role="viewer"))
    store.upsert_user(user("lyon", "bob"))
    assert [u.username for u in store.list_users("paris")] == ["alice"]
    assert [u.username for u in store.list_users("lyon")] == ["alice", "bob"]
    assert store.get_user("lyon", "alice").role == "viewer"
    with pytest.raises(NotFound, match="'bob'"):
        store.get_user("paris", "bob")


def test_a_user_of_an_unknown_tenant_is_refused(store: Store) -> None:
    with pytest.raises(StoreError):
        store.upsert_user(user("nowhere"))
    assert store.list_users("nowhere") == []


def test_add_user_creates_an_account_once_with_its_audit_entries(store: Store) -> None:
    load_registry(store)
    entry = AuditEntry("au-1", T0, "paris", "root", "user.created", "user", "alice", {"role": "operator"})
    assert store.add_user(user(), [entry]) is True
    assert store.get_user("paris", "alice") == user()
    assert store.query_audit("paris") == [entry]
    taken = msgspec.structs.replace(user(), role="admin")
    assert store.add_user(taken, [msgspec.structs.replace(entry, id="au-2")]) is False
    assert store.get_user("paris", "alice") == user()  # the first account is untouched
    assert [e.id for e in store.query_audit("paris")] == ["au-1"]


def test_update_user_changes_only_the_given_fields_with_its_audit_entries(store: Store) -> None:
    load_registry(store)
    store.upsert_user(user())
    entry = AuditEntry("au-1", T0, "paris", "root", "user.disabled", "user", "alice", {})
    updated = store.update_user("paris", "alice", role="supervisor", disabled=True, audit_entries=[entry])
    assert updated == msgspec.structs.replace(user(), role="supervisor", disabled=True)
    assert store.get_user("paris", "alice") == updated
    assert store.query_audit("paris") == [entry]
    renamed = store.update_user("paris", "alice", display_name="A. M.", password_hash="$argon2id$new")
    assert (renamed.display_name, renamed.password_hash, renamed.role) == ("A. M.", "$argon2id$new", "supervisor")
    assert store.update_user("paris", "alice") == renamed  # nothing to change


def test_update_user_of_another_tenant_is_not_found_and_writes_nothing(store: Store) -> None:
    load_registry(store, "paris")
    load_registry(store, "lyon")
    store.upsert_user(user("paris", "alice"))
    entry = AuditEntry("au-1", T0, "lyon", "root", "user.disabled", "user", "alice", {})
    with pytest.raises(NotFound, match="'alice' not found in tenant 'lyon'"):
        store.update_user("lyon", "alice", disabled=True, audit_entries=[entry])
    with pytest.raises(NotFound):
        store.update_user("lyon", "alice")
    assert store.get_user("paris", "alice").disabled is False
    assert store.query_audit("lyon") == []
