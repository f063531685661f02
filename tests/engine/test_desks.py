"""Operator desks: first matching desk by site id or site kind, catch-all and default desk, bad declarations."""

from __future__ import annotations

import pytest

from beffroi.domain.observations import Position
from beffroi.domain.registry import Site
from beffroi.engine.desks import DEFAULT_DESK, DeskMap, OperatorDesk
from beffroi.errors import ConfigError


def site(site_id: str, kind: str) -> Site:
    """A site of `kind` in tenant t1."""
    return Site(id=site_id, tenant_id="t1", name=site_id, kind=kind, position=Position(2.35, 48.85))


SITES = [
    site("stade-de-france", "stadium"),
    site("orange-velodrome", "stadium"),
    site("gare-du-nord", "transport_hub"),
    site("trocadero", "fan_zone"),
]


def test_no_desk_sends_every_alarm_to_main() -> None:
    desks = DeskMap()
    assert desks.desk_of("stade-de-france") == DEFAULT_DESK == "main"
    assert desks.desk_of(None) == "main"
    assert desks.names == ("main",)


def test_first_matching_desk_wins_by_id_then_kind_in_declaration_order() -> None:
    desks = DeskMap(
        [
            OperatorDesk("regions", site_ids=frozenset({"orange-velodrome"})),
            OperatorDesk("transport", site_kinds=frozenset({"transport_hub"})),
            OperatorDesk("stadiums", site_kinds=frozenset({"stadium"})),
        ],
        SITES,
    )
    assert desks.desk_of("orange-velodrome") == "regions"  # also a stadium: the first desk that matches wins
    assert desks.desk_of("stade-de-france") == "stadiums"
    assert desks.desk_of("gare-du-nord") == "transport"
    assert desks.desk_of("trocadero") == "main"  # matched by none
    assert desks.desk_of("not-in-registry") == "main"
    assert desks.names == ("regions", "transport", "stadiums", "main")


def test_a_catch_all_desk_is_the_default_for_unmatched_sites_and_alarms_without_site() -> None:
    desks = DeskMap(
        [OperatorDesk("transport", site_kinds=frozenset({"transport_hub"})), OperatorDesk("paris", frozenset({"*"}))],
        SITES,
    )
    assert desks.default_desk == "paris"
    assert desks.desk_of("gare-du-nord") == "transport"
    assert desks.desk_of("trocadero") == "paris"
    assert desks.desk_of(None) == "paris"
    assert desks.names == ("transport", "paris")


def test_site_kinds_follow_registry_updates() -> None:
    desks = DeskMap([OperatorDesk("fans", site_kinds=frozenset({"fan_zone"}))], SITES)
    assert desks.desk_of("trocadero") == "fans"
    desks.update_sites([site("trocadero", "outdoor_venue")])
    assert desks.desk_of("trocadero") == "main"


@pytest.mark.parametrize(
    ("desks", "problem"),
    [
        ([OperatorDesk("a", frozenset({"s1"})), OperatorDesk("a", frozenset({"s2"}))], "declared twice"),
        ([OperatorDesk(" ", frozenset({"s1"}))], "desks[0].name: must not be empty"),
        ([OperatorDesk("empty")], "lists no site id nor site kind"),
    ],
)
def test_bad_desks_are_refused_naming_the_desk(desks: list[OperatorDesk], problem: str) -> None:
    with pytest.raises(ConfigError, match=r"engine\.desks") as error:
        DeskMap(desks)
    assert any(problem in p for p in error.value.problems)
