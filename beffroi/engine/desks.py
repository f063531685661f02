"""Operator desks: which desk watches the alarms of which site.

A control room splits its sites between operator desks (e.g. Paris venues, stadiums in the regions, fan zones,
transport). Flood control and alarm-rate metrics are kept per desk, because ISA-18.2 / EEMUA 191 alarm rates are
rates per operator. A desk lists site ids and/or site kinds, or `"*"` (in either) for every site. `DeskMap`
resolves a site to the FIRST desk that matches it (declaration order); a site no desk matches, or an alarm with
no site, goes to the default desk: the first catch-all desk when one is declared, else `"main"`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import msgspec

from beffroi.domain.registry import Site
from beffroi.errors import ConfigError

DEFAULT_DESK = "main"
"""The desk of every alarm when no desk is configured, and of the alarms no desk matches."""
CATCH_ALL = "*"
"""In `OperatorDesk.site_ids` or `site_kinds`: every site."""
_CACHE_SIZE = 10_000
"""Resolved sites kept; the cache starts over when full (site ids of events need not be in the registry)."""


class OperatorDesk(msgspec.Struct, frozen=True):
    """One operator desk: the sites (by id) and the kinds of site it watches; `"*"` in either means all."""

    name: str
    site_ids: frozenset[str] = frozenset()
    site_kinds: frozenset[str] = frozenset()

    @property
    def catch_all(self) -> bool:
        """True when the desk takes every site."""
        return CATCH_ALL in self.site_ids or CATCH_ALL in self.site_kinds

    def matches(self, site_id: str, site_kind: str | None) -> bool:
        """True when this desk watches the site `site_id` (of kind `site_kind`, None when unknown)."""
        return self.catch_all or site_id in self.site_ids or (site_kind is not None and site_kind in self.site_kinds)


def _problems(desks: Sequence[OperatorDesk]) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for index, desk in enumerate(desks):
        where = f"desks[{index}]"
        if not desk.name.strip():
            problems.append(f"{where}.name: must not be empty")
        elif desk.name in seen:
            problems.append(f"{where}.name: desk {desk.name!r} is declared twice")
        seen.add(desk.name)
        if not (desk.site_ids or desk.site_kinds):
            problems.append(f"{where}: desk {desk.name!r} lists no site id nor site kind (use '*' for every site)")
    return problems


class DeskMap:
    """Resolves the site of an alarm to its operator desk (first match in declaration order, else the default)."""

    __slots__ = ("_cache", "_default", "_desks", "_kinds")

    def __init__(self, desks: Sequence[OperatorDesk] = (), sites: Iterable[Site] = ()) -> None:
        problems = _problems(desks)
        if problems:
            raise ConfigError("engine.desks", problems)
        self._desks = tuple(desks)
        self._default = next((desk.name for desk in self._desks if desk.catch_all), DEFAULT_DESK)
        self._kinds: dict[str, str] = {}
        self._cache: dict[str, str] = {}
        self.update_sites(sites)

    @property
    def default_desk(self) -> str:
        """The desk of alarms without a site and of sites no desk matches."""
        return self._default

    @property
    def names(self) -> tuple[str, ...]:
        """Every desk an alarm can go to: the declared ones, then the default one if it is not declared."""
        declared = tuple(desk.name for desk in self._desks)
        return declared if self._default in declared else (*declared, self._default)

    def update_sites(self, sites: Iterable[Site]) -> None:
        """Replace the registry's sites (their kinds decide the desks that match by kind)."""
        self._kinds = {site.id: site.kind for site in sites}
        self._cache = {}

    def desk_of(self, site_id: str | None) -> str:
        """The desk that watches `site_id` (the default desk for None or an unmatched site)."""
        if site_id is None:
            return self._default
        desk = self._cache.get(site_id)
        if desk is None:
            kind = self._kinds.get(site_id)
            desk = next((d.name for d in self._desks if d.matches(site_id, kind)), self._default)
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[site_id] = desk
        return desk
