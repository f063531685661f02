"""Local accounts: upserted by (tenant, username), read back whole, scoped to their tenant."""

from __future__ import annotations

import msgspec
import pytest

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
