"""Correlation rules from YAML: the packaged file, and errors that name the file, the key path and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from beffroi.engine.correlation_rules import PlaceScope, load_rules, parse_rules
from beffroi.errors import ConfigError


def test_the_packaged_rules_hold_the_break_in_example() -> None:
    rules = load_rules()
    by_name = {rule.name: rule for rule in rules.rules}
    break_in = by_name["break_in"]
    assert (break_in.incident_type, break_in.priority, break_in.place, break_in.window_s) == (
        "break_in",
        2,
        PlaceScope.ZONE,
        60.0,
    )
    assert break_in.all_of == ("door_forced", "intrusion", "camera_intrusion")
    assert rules.default.enabled and rules.default.window_s == 600.0
    assert rules.default.type_for("fire_alarm") == "fire" and rules.default.type_for("noise") == "generic"
    assert [rule.priority for rule in rules.ordered()] == sorted(rule.priority for rule in rules.rules)
    assert rules.longest_window_s == 300.0


def test_a_file_is_read_and_a_missing_one_named(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - {name: r, incident_type: t, any_of: [a, b], place: site, window_s: 30}\n")
    [rule] = load_rules(path).rules
    assert (rule.types, rule.place, rule.display_title) == (frozenset({"a", "b"}), PlaceScope.SITE, "T")
    with pytest.raises(ConfigError, match="cannot read the correlation rules"):
        load_rules(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "rules: [{name: r, incident_type: t}]",
            "give the alarm types as `all_of`, `any_of` or `sequence` - at `$.rules[0]`",
        ),
        ("rules: [{name: r, incident_type: t, all_of: [a], priority: 0}]", "at `$.rules[0].priority`"),
        ("rules: [{name: r, incident_type: t, all_of: [a], window_s: -5}]", "at `$.rules[0].window_s`"),
        ("rules: [{name: r, incident_type: t, all_of: [a], colour: red}]", "unknown field `colour`"),
        ("rules: [{name: r, incident_type: t, sequence: [a, b], all_of: [c]}]", "a `sequence` goes alone"),
        ("rules: [{name: r, incident_type: t, all_of: [a], place: radius}]", "`radius_m` goes with `place: radius`"),
        ("rules: [{name: r, incident_type: t, all_of: [a], radius_m: 50}]", "`radius_m` goes with `place: radius`"),
        ("rules: [{name: default, incident_type: t, all_of: [a]}]", "the default rule's"),
        (
            "rules: [{name: r, incident_type: t, all_of: [a]}, {name: r, incident_type: u, all_of: [b]}]",
            "rule names must be unique, repeated: r",
        ),
        ("default: {place: radius}", "not by radius"),
        ("default: {window_s: .inf}", "`window_s` must be finite"),
        ("rules: {name: r}", "Expected `array`"),
        ("rules: [", "not valid YAML"),
    ],
)
def test_a_bad_rule_is_refused_with_its_path(text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_rules(text, "site.yaml")
    assert str(error.value).startswith("site.yaml: ")
    assert problem in str(error.value)
