"""The scenario files: the default Paris 2024 scenario, the small test scenarios and the deliberately invalid ones."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from shapely.geometry import Point, shape

from beffroi.domain.registry import DEVICE_PROFILES, SENSOR_KINDS, DeviceKind, ZoneKind
from beffroi.errors import ConfigError
from beffroi.sim.scenario import Scenario, load_scenario, parse_scenario, to_registry

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
DEFAULT = SCENARIOS / "paris2024.json"
GENERATOR = SCENARIOS / "generate_paris2024.py"
FIXTURES = SCENARIOS / "tests"

REFERENCE_POINTS: dict[str, tuple[float, float]] = {
    "stade-de-france": (2.3601, 48.9245),
    "parc-des-princes": (2.2530, 48.8416),
    "roland-garros": (2.2535, 48.8460),
    "champ-de-mars-arena": (2.3025, 48.8531),
    "eiffel-tower-stadium": (2.2978, 48.8561),
    "concorde": (2.3212, 48.8657),
    "invalides": (2.3128, 48.8570),
    "grand-palais": (2.3125, 48.8662),
    "pont-alexandre-iii": (2.3134, 48.8637),
    "trocadero": (2.2922, 48.8597),
    "bercy-arena": (2.3786, 48.8386),
    "porte-de-la-chapelle-arena": (2.3605, 48.8997),
    "south-paris-arena-1": (2.2840, 48.8330),
    "paris-la-defense-arena": (2.2294, 48.8954),
    "yves-du-manoir": (2.2478, 48.9293),
    "le-bourget-climbing": (2.4200, 48.9369),
    "aquatics-centre": (2.3558, 48.9237),
    "vaires-flatwater": (2.6348, 48.8623),
    "versailles": (2.0845, 48.8143),
    "golf-national": (2.0758, 48.7532),
    "elancourt-hill": (1.9642, 48.7898),
    "sqy-velodrome": (2.0350, 48.7880),
    "sqy-bmx": (2.0350, 48.7880),
    "hotel-de-ville": (2.3522, 48.8564),
    "marseille-marina": (5.3678, 43.2661),
    "groupama-stadium": (4.9820, 45.7651),
    "orange-velodrome": (5.3959, 43.2698),
    "allianz-riviera": (7.1926, 43.7051),
    "matmut-atlantique": (-0.5616, 44.8974),
    "la-beaujoire": (-1.5247, 47.2559),
    "geoffroy-guichard": (4.3902, 45.4607),
    "pierre-mauroy": (3.1305, 50.6119),
    "teahupoo": (-149.2521, -17.8669),
    "olympic-village": (2.3400, 48.9171),
    "club-villette": (2.3900, 48.8938),
    "gare-du-nord": (2.3553, 48.8809),
    "gare-de-lyon": (2.3735, 48.8443),
    "gare-saint-lazare": (2.3253, 48.8763),
    "gare-montparnasse": (2.3208, 48.8409),
    "chatelet-les-halles": (2.3470, 48.8619),
    "la-defense": (2.2381, 48.8919),
    "stade-de-france-rer-d": (2.3503, 48.9168),
    "marseille-saint-charles": (5.3805, 43.3028),
    "lyon-part-dieu": (4.8596, 45.7606),
}
"""Reference [lon, lat] of named places: the Paris 2024 open-data points of the competition venues (for Roland-Garros,
Invalides and Trocadéro the published point, a few hundred metres from the field of play the scenario centres on),
and the map position of the Village's Cité du Cinéma, the Villette park and the stations."""


def metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two [lon, lat] points."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


@pytest.fixture(scope="module")
def paris() -> Scenario:
    return load_scenario(DEFAULT)


@pytest.fixture(scope="module")
def zone_shapes(paris: Scenario) -> dict[str, Any]:
    return {zone.id: shape(zone.geometry.model_dump()) for site in paris.sites for zone in site.zones}


def test_the_default_scenario_is_the_paris_control_room_from_the_opening_day(paris: Scenario) -> None:
    assert paris.tenant.id == "paris2024"
    assert paris.tenant.name == "Paris 2024 — Centre de commandement"
    assert paris.timezone == "Europe/Paris"
    assert paris.start.isoformat() == "2024-07-26T16:00:00+02:00"


def test_the_default_scenario_has_50_sites_and_3000_devices(paris: Scenario) -> None:
    assert len(paris.sites) >= 50
    assert 3_000 <= paris.device_count() <= 4_000
    assert {site.kind for site in paris.sites} == {
        "stadium", "arena", "outdoor_venue", "fan_zone", "transport_hub", "village", "ceremony", "nautical",
    }  # fmt: skip


def test_every_device_kind_and_at_least_ten_zone_kinds_are_used(paris: Scenario) -> None:
    device_kinds = Counter(device.kind for site in paris.sites for device in site.devices)
    zone_kinds = {zone.kind for site in paris.sites for zone in site.zones}
    assert set(device_kinds) == SENSOR_KINDS
    assert min(device_kinds.values()) >= 20
    assert len(zone_kinds) >= 10
    assert zone_kinds == set(ZoneKind)


@pytest.mark.parametrize(("site_id", "reference"), sorted(REFERENCE_POINTS.items()))
def test_named_places_stand_within_a_kilometre_of_their_real_position(
    paris: Scenario, site_id: str, reference: tuple[float, float]
) -> None:
    site = next((site for site in paris.sites if site.id == site_id), None)
    assert site is not None, f"{site_id} is missing"
    assert metres_between(site.position, reference) < 1_000
    centre = shape(site.outline.model_dump()).centroid if site.outline else Point(site.position)
    assert metres_between((centre.x, centre.y), reference) < 2_500, "the layout sits away from the venue"


def test_every_device_lies_in_its_zone(paris: Scenario, zone_shapes: dict[str, Any]) -> None:
    outside = []
    for site in paris.sites:
        for device in site.devices:
            assert device.zone is not None, f"{device.id} has no zone"
            polygon = zone_shapes[device.zone]
            if polygon.contains(Point(device.position)):
                continue
            nearest = polygon.exterior.interpolate(polygon.exterior.project(Point(device.position)))
            gap = metres_between(device.position, (nearest.x, nearest.y))
            if gap > 50:
                outside.append(f"{device.id} is {gap:.0f} m from {device.zone}")
    assert outside == []


def test_zone_polygons_are_valid_and_inside_their_site_outline(paris: Scenario, zone_shapes: dict[str, Any]) -> None:
    for site in paris.sites:
        assert site.outline is not None
        outline = shape(site.outline.model_dump())
        for zone in site.zones:
            polygon = zone_shapes[zone.id]
            assert polygon.is_valid, zone.id
            assert outline.buffer(1e-5).contains(polygon), f"{zone.id} spills out of {site.id}'s outline"


def test_ids_are_readable_and_prefixed_by_their_parents(paris: Scenario) -> None:
    codes = "pc|ts|ac|pir|fence|smoke|aq|noise|temp|panic|cam|gps|drone"
    for site in paris.sites:
        for zone in site.zones:
            assert zone.id.startswith(f"{site.id}-")
        for device in site.devices:
            assert re.fullmatch(rf"{re.escape(device.zone or '')}-({codes})-\d\d", device.id), device.id
            assert device.model


def test_capacities_follow_the_kind_of_zone(paris: Scenario) -> None:
    for site in paris.sites:
        for zone in site.zones:
            density = zone.capacity / zone.area_m2
            if zone.kind in {ZoneKind.FORBIDDEN, ZoneKind.WATER}:
                assert zone.capacity == 0, zone.id
            elif zone.kind in {ZoneKind.FAN_ZONE, ZoneKind.PLAZA, ZoneKind.GATE, ZoneKind.CONCOURSE, ZoneKind.PLATFORM}:
                assert 0 < density <= 3.0, zone.id
            elif zone.kind is ZoneKind.STAND:
                assert 0 < density <= 2.6, zone.id
    stade_de_france = next(site for site in paris.sites if site.id == "stade-de-france")
    seats = sum(zone.capacity for zone in stade_de_france.zones if zone.kind is ZoneKind.STAND)
    assert seats == pytest.approx(77_083, abs=4)


def test_each_site_runs_its_sessions_one_after_the_other_during_the_games(paris: Scenario) -> None:
    first, last = datetime.fromisoformat("2024-07-18T00:00+02:00"), datetime.fromisoformat("2024-08-15T00:00+02:00")
    for site in paris.sites:
        assert site.schedule, f"{site.id} has no session"
        for before, after in zip(site.schedule, site.schedule[1:], strict=False):
            assert before.end <= after.start, f"{site.id}: {after.name} overlaps {before.name}"
        for session in site.schedule:
            assert first <= session.start < session.end <= last
            assert session.attendance > 0


def test_the_first_days_are_dense(paris: Scenario) -> None:
    """A demo started at the scenario start sees crowds arriving (the simulator ramps arrivals 3 h before a start)."""

    def busy_sites(t: datetime) -> int:
        return sum(
            any(s.start - timedelta(hours=3) <= t <= s.end for s in site.schedule) for site in paris.sites
        )  # fmt: skip

    start = paris.start
    assert busy_sites(start + timedelta(minutes=30)) >= 20
    for hours in (20, 24, 44, 48):
        assert busy_sites(start + timedelta(hours=hours)) >= 30


def test_the_games_calendar_holds(paris: Scenario) -> None:
    sessions = {site.id: site.schedule for site in paris.sites}
    ceremony = [site for site in paris.sites if site.kind == "ceremony"]
    assert len(ceremony) >= 4
    for site in ceremony:
        assert any(s.start.isoformat() == "2024-07-26T19:30:00+02:00" for s in site.schedule), site.id
    football = ["parc-des-princes", "orange-velodrome", "groupama-stadium", "allianz-riviera", "matmut-atlantique"]
    for site_id in football:
        assert sessions[site_id][0].start.date().isoformat() == "2024-07-24"
        assert all("Football" in s.name for s in sessions[site_id])
    athletics = [s for s in sessions["stade-de-france"] if s.name == "Athlétisme"]
    assert min(s.start for s in athletics).date().isoformat() >= "2024-08-01"
    assert any("Tennis" in s.name for s in sessions["roland-garros"])
    assert sessions["teahupoo"][0].start.utcoffset() == timedelta(hours=-10)


def test_the_committed_default_equals_a_fresh_generation(tmp_path: Path) -> None:
    fresh = tmp_path / "paris2024.json"
    run = subprocess.run(
        [sys.executable, str(GENERATOR), "--output", str(fresh)], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert run.returncode == 0, run.stderr
    assert fresh.read_bytes() == DEFAULT.read_bytes(), "run scenarios/generate_paris2024.py and commit the result"


def test_the_generator_check_mode_flags_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "paris2024.json"
    stale.write_text('{"format_version": 1}\n', encoding="utf-8")
    run = subprocess.run(
        [sys.executable, str(GENERATOR), "--check", "--output", str(stale)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 1
    assert "out of date" in run.stderr


def test_to_registry_gives_consistent_rows(paris: Scenario) -> None:
    tenant, sites, zones, devices = to_registry(paris)
    assert tenant.id == "paris2024"
    assert len(sites) == len(paris.sites)
    assert len(devices) == paris.device_count()
    tenants = {site.tenant_id for site in sites} | {zone.tenant_id for zone in zones}
    assert tenants | {device.tenant_id for device in devices} == {"paris2024"}
    site_ids = {site.id for site in sites}
    zone_site = {zone.id: zone.site_id for zone in zones}
    assert set(zone_site.values()) <= site_ids
    zones_per_site: dict[str, int] = defaultdict(int)
    for zone in zones:
        zones_per_site[zone.site_id] += 1
        assert zone.polygon[0][0] == zone.polygon[0][-1]
    assert sum(zones_per_site.values()) == len(zones)
    for device in devices:
        assert device.zone_id is not None
        assert zone_site[device.zone_id] == device.site_id
        profile = DEVICE_PROFILES[device.kind]
        assert device.metrics == list(profile.metrics)
        assert device.interval_s == profile.interval_s


def test_the_tiny_scenario_is_one_small_site_with_a_session_soon_after_the_start() -> None:
    tiny = load_scenario(FIXTURES / "tiny.json")
    (site,) = tiny.sites
    assert len(site.zones) == 3
    assert 10 <= len(site.devices) <= 14
    assert len({device.kind for device in site.devices}) >= 8
    (session,) = site.schedule
    assert session.start - tiny.start == timedelta(minutes=30)
    _, _, _, devices = to_registry(tiny)
    temperature = next(device for device in devices if device.kind is DeviceKind.TEMPERATURE)
    assert temperature.interval_s == 120.0


def test_the_two_tenant_scenarios_share_ids_but_not_their_tenant() -> None:
    a = to_registry(load_scenario(FIXTURES / "two_tenants_a.json"))
    b = to_registry(load_scenario(FIXTURES / "two_tenants_b.json"))
    assert a[0].id != b[0].id
    assert [device.id for device in a[3]] == [device.id for device in b[3]]
    assert {device.tenant_id for device in a[3]} == {a[0].id}
    assert {device.tenant_id for device in b[3]} == {b[0].id}
    assert a[1][0].position != b[1][0].position


INVALID = [
    ("invalid_area.json", "sites[0].zones[1].area_m2", "differs from the polygon's area"),
    ("invalid_unknown_zone.json", "sites[0].devices[5].zone", "is not a zone of site 'tiny-stadium'"),
    ("invalid_duplicate_id.json", "sites[0].devices[4].id", "already used by sites[0].zones[1]"),
    ("invalid_open_ring.json", "sites[0].zones[0].geometry.coordinates", "not closed"),
    ("invalid_missing_field.json", "sites[0].zones[2].capacity", "Field required"),
    ("invalid_device_kind.json", "sites[0].devices[6].kind", "'radar'"),
    ("invalid_naive_time.json", "sites[0].schedule[0].start", "UTC offset"),
]
"""Each invalid file is the tiny scenario with one deliberate error; the expected key path is in the README too."""


@pytest.mark.parametrize(("name", "path", "reason"), INVALID)
def test_each_invalid_scenario_fails_naming_its_key_path(name: str, path: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_scenario(FIXTURES / name)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}: ")
    assert reason in problem
    assert caught.value.source.endswith(name)


def test_the_readme_lists_every_invalid_file_with_its_key_path() -> None:
    readme = (SCENARIOS / "README.md").read_text(encoding="utf-8")
    listed = {path.name for path in FIXTURES.glob("invalid_*.json")}
    assert listed == {name for name, _, _ in INVALID}
    for name, path, _ in INVALID:
        assert re.search(rf"`{re.escape(name)}`.*`{re.escape(path)}`", readme), name


def test_the_readme_example_is_a_valid_scenario_and_its_counts_are_current(paris: Scenario) -> None:
    readme = (SCENARIOS / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```json\n(.*?)```", readme, re.DOTALL)
    assert example is not None
    assert parse_scenario(json.loads(example.group(1)), "README example").device_count() == 1
    zones = sum(len(site.zones) for site in paris.sites)
    sessions = sum(len(site.schedule) for site in paris.sites)
    stated = f"{len(paris.sites)} sites, {zones:,} zones of all 12 kinds, {paris.device_count():,} devices"
    assert stated in readme
    assert f"{sessions:,} sessions" in readme


def test_a_yaml_scenario_reads_like_its_json_twin(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "tiny.json").read_text(encoding="utf-8"))
    twin = tmp_path / "tiny.yaml"
    twin.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert load_scenario(twin) == load_scenario(FIXTURES / "tiny.json")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "file not found"),
        (b"\xff\xfe not text", "not UTF-8 text"),
        (b'{"format_version": 1,', "not valid JSON"),
        (b"[1, 2]", "(root): Input should be a valid dictionary"),
    ],
)
def test_unreadable_files_fail_with_a_config_error(tmp_path: Path, content: bytes | None, problem: str) -> None:
    path = tmp_path / "scenario.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    assert caught.value.problems[0].startswith(problem)


def test_a_directory_is_not_a_scenario(tmp_path: Path) -> None:
    folder = tmp_path / "scenario.json"
    folder.mkdir()
    with pytest.raises(ConfigError, match="cannot be read"):
        load_scenario(folder)


def test_an_end_before_the_start_and_every_duplicate_are_reported() -> None:
    data = json.loads((FIXTURES / "tiny.json").read_text(encoding="utf-8"))
    site = data["sites"][0]
    site["schedule"][0]["end"] = "2024-07-26T16:00:00+02:00"
    site["devices"][0]["id"] = site["devices"][1]["id"] = "tiny-gate"
    with pytest.raises(ConfigError) as caught:
        parse_scenario(data, "edited tiny")
    assert caught.value.problems == [
        "sites[0].schedule[0].end: end must be after start (got '2024-07-26T16:00:00+02:00')",
    ]
    site["schedule"][0]["end"] = "2024-07-26T18:00:00+02:00"
    with pytest.raises(ConfigError) as caught:
        parse_scenario(data, "edited tiny")
    assert caught.value.problems == [
        "sites[0].devices[0].id: id 'tiny-gate' is already used by sites[0].zones[0] (got 'tiny-gate')",
        "sites[0].devices[1].id: id 'tiny-gate' is already used by sites[0].zones[0] (got 'tiny-gate')",
    ]


def test_the_tiny_gate_carries_its_opening_width_into_the_registry() -> None:
    tiny = load_scenario(FIXTURES / "tiny.json")
    gate = tiny.sites[0].zones[0]
    assert (gate.id, gate.width_m) == ("tiny-gate", 20.0)
    assert 20.0 < gate.geometry.extent_m() < 23.0  # a 20 m x 10 m rectangle: its diagonal is 22.4 m
    _, _, zones, _ = to_registry(tiny)
    assert {zone.id: zone.width_m for zone in zones} == {"tiny-gate": 20.0, "tiny-stand": None, "tiny-plant-room": None}


@pytest.mark.parametrize(
    ("width", "reason"),
    [
        (0, "Input should be greater than 0 (got 0)"),
        (-3.5, "Input should be greater than 0 (got -3.5)"),
        ("wide", "Input should be a valid number"),
        (float("inf"), "Input should be a finite number"),
        (500, "width_m 500 is more than the polygon could hold: its points are at most 22.4 m apart (got 500.0)"),
    ],
    ids=["zero", "negative", "not a number", "infinite", "wider than the zone"],
)
def test_a_bad_zone_width_is_named_by_its_key_path(width: object, reason: str) -> None:
    data = json.loads((FIXTURES / "tiny.json").read_text(encoding="utf-8"))
    data["sites"][0]["zones"][1]["width_m"] = 5
    data["sites"][0]["zones"][0]["width_m"] = width
    with pytest.raises(ConfigError) as caught:
        parse_scenario(data, "edited tiny")
    (problem,) = caught.value.problems
    assert problem.startswith("sites[0].zones[0].width_m: "), problem
    assert reason in problem


def test_a_bad_width_and_a_bad_area_of_one_zone_are_both_reported() -> None:
    data = json.loads((FIXTURES / "tiny.json").read_text(encoding="utf-8"))
    data["sites"][0]["zones"][0].update(area_m2=900, width_m=40)
    with pytest.raises(ConfigError) as caught:
        parse_scenario(data, "edited tiny")
    assert [problem.split(":")[0] for problem in caught.value.problems] == [
        "sites[0].zones[0].area_m2",
        "sites[0].zones[0].width_m",
    ]


def test_every_gate_of_the_default_scenario_has_its_opening_width_and_no_other_zone_has_one(paris: Scenario) -> None:
    widths = {zone.id: (zone.kind, zone.width_m, zone.geometry) for site in paris.sites for zone in site.zones}
    gates = {zone_id: width for zone_id, (kind, width, _) in widths.items() if kind is ZoneKind.GATE}
    assert gates and None not in gates.values()
    assert all(width is None for kind, width, _ in widths.values() if kind is not ZoneKind.GATE)
    assert gates["stade-de-france-gate-a"] == 30.0  # the bowl's gate_width in venues.yaml
    assert gates["club-villette-club-france-gate"] == 20.0  # an extra's width_m in venues.yaml
    assert gates["seine-austerlitz-gate-g1"] == 20.0  # a checkpoint 20 m along the quay
    for zone_id, width in gates.items():
        _, _, geometry = widths[zone_id]
        assert width is not None and width <= geometry.extent_m(), zone_id
        assert 8.0 <= width <= 40.0, zone_id
