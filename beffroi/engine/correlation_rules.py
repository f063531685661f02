"""Correlation rules, read from YAML: which alarms, of which types, where and how close in time, make an incident.

A file has a `default` section (alarms of one zone within `window_s` of an active incident of that zone join it;
a new one opens otherwise) and a list of `rules`. A rule needs its alarm types within `window_s` seconds of each
other, in one place: the same zone, the same site, or within `radius_m` metres (devices' positions). It names the
types as `all_of` (every one), `any_of` (at least one, alone or besides `all_of`) or a `sequence` (in this order
of raising). Rules are tried by priority (1 first), then in file order.

Example::

    default: {window_s: 600, incident_types: {fire_alarm: fire}}
    rules:
      - name: break_in
        incident_type: break_in
        title: Break-in
        priority: 2
        place: zone
        window_s: 60
        all_of: [door_forced, intrusion, camera_intrusion]
"""

from __future__ import annotations

import math
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated

import msgspec

from beffroi.errors import ConfigError

DEFAULT_RULES_RESOURCE = "default_correlation.yaml"
"""The packaged rules file (beffroi/engine/default_correlation.yaml)."""
DEFAULT_RULE_NAME = "default"
"""The `rule` of incidents opened by the default (zone and window) rule."""

Seconds = Annotated[float, msgspec.Meta(gt=0)]
PriorityValue = Annotated[int, msgspec.Meta(ge=1, le=4)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class PlaceScope(StrEnum):
    """Where a rule's alarms must be, relative to each other."""

    ZONE = "zone"
    SITE = "site"
    RADIUS = "radius"


class CorrelationRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Alarms of `all_of` / `any_of` / `sequence` types, in one place, within `window_s`: an incident of
    `incident_type` with `title` and `priority` (1 most urgent)."""

    name: Name
    incident_type: Name
    title: str = ""
    priority: PriorityValue = 3
    place: PlaceScope = PlaceScope.ZONE
    radius_m: Annotated[float, msgspec.Meta(gt=0)] | None = None
    window_s: Seconds = 60.0
    all_of: tuple[Name, ...] = ()
    any_of: tuple[Name, ...] = ()
    sequence: tuple[Name, ...] = ()

    def __post_init__(self) -> None:
        if not math.isfinite(self.window_s):
            raise ValueError(f"rule {self.name!r}: `window_s` must be finite")
        if self.sequence and (self.all_of or self.any_of):
            raise ValueError(f"rule {self.name!r}: a `sequence` goes alone, without `all_of` or `any_of`")
        if not (self.sequence or self.all_of or self.any_of):
            raise ValueError(f"rule {self.name!r}: give the alarm types as `all_of`, `any_of` or `sequence`")
        if (self.place is PlaceScope.RADIUS) != (self.radius_m is not None):
            raise ValueError(f"rule {self.name!r}: `radius_m` goes with `place: radius`, and only with it")
        if self.name == DEFAULT_RULE_NAME:
            raise ValueError(f"rule name {DEFAULT_RULE_NAME!r} is the default rule's")

    @property
    def types(self) -> frozenset[str]:
        """Every alarm type the rule looks at."""
        return frozenset((*self.all_of, *self.any_of, *self.sequence))

    @property
    def display_title(self) -> str:
        """The incident's title: `title`, or the type in words."""
        return self.title or self.incident_type.replace("_", " ").capitalize()


class DefaultRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Alarms of one zone (of one site when an alarm has no zone) within `window_s` join one active incident of that
    place. A new incident's type comes from its first alarm's type through `incident_types`, else `incident_type`."""

    enabled: bool = True
    window_s: Seconds = 600.0
    place: PlaceScope = PlaceScope.ZONE
    incident_type: Name = "generic"
    incident_types: dict[str, str] = msgspec.field(default_factory=dict)
    titles: dict[str, str] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.place is PlaceScope.RADIUS:
            raise ValueError("the default rule groups by `zone` or `site`, not by radius")
        if not math.isfinite(self.window_s):
            raise ValueError("default: `window_s` must be finite")

    def type_for(self, alarm_type: str) -> str:
        """The incident type of an incident opened by an alarm of `alarm_type`."""
        return self.incident_types.get(alarm_type, self.incident_type)

    def title_for(self, incident_type: str, alarm_message: str) -> str:
        """The title of an incident of `incident_type` opened by an alarm with this message."""
        return self.titles.get(incident_type) or alarm_message or incident_type.replace("_", " ").capitalize()


class CorrelationRules(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A rules file: the default rule and the specific rules."""

    default: DefaultRule = msgspec.field(default_factory=DefaultRule)
    rules: tuple[CorrelationRule, ...] = ()

    def __post_init__(self) -> None:
        names = [rule.name for rule in self.rules]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"rule names must be unique, repeated: {', '.join(repeated)}")

    def ordered(self) -> list[CorrelationRule]:
        """The rules in the order they are tried: by priority (1 first), then as written."""
        return sorted(self.rules, key=lambda rule: rule.priority)

    @property
    def longest_window_s(self) -> float:
        """The longest window of any rule (how long recent alarms are remembered for matching)."""
        return max((rule.window_s for rule in self.rules), default=0.0)


def parse_rules(text: str | bytes, source: str = "correlation rules") -> CorrelationRules:
    """The rules of a YAML document; ConfigError naming the source, the key path and what is wrong."""
    try:
        rules = msgspec.yaml.decode(text, type=CorrelationRules)
    except msgspec.ValidationError as error:
        raise ConfigError(source, [str(error)]) from None
    except msgspec.DecodeError as error:
        raise ConfigError(source, [f"not valid YAML: {error}"]) from None
    return rules


def load_rules(path: Path | None = None) -> CorrelationRules:
    """The rules of a YAML file, or the packaged default rules when `path` is None."""
    if path is None:
        text = resources.files("beffroi.engine").joinpath(DEFAULT_RULES_RESOURCE).read_bytes()
        return parse_rules(text, f"beffroi/engine/{DEFAULT_RULES_RESOURCE}")
    try:
        text = path.read_bytes()
    except OSError as error:
        raise ConfigError(str(path), [f"cannot read the correlation rules: {error.strerror or error}"]) from None
    return parse_rules(text, str(path))
