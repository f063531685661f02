"""The schedule of the default scenario: the sessions of the 2024 Games at each site, 24 July to 11 August.

Dates and session times follow the published competition schedule closely but not to the minute; attendance is
the crowd expected at the session's peak (venue capacity times a plausible fill rate, drawn deterministically).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

Slot = tuple[str, str]
MORNING: Slot = ("10:00", "13:30")
AFTERNOON: Slot = ("14:30", "18:00")
EVENING: Slot = ("19:30", "23:00")


def _date(month_day: str) -> date:
    month, day = month_day.split("-")
    return date(2024, int(month), int(day))


def days(first: str, last: str, skip: Iterable[str] = ()) -> list[str]:
    """The days from first to last inclusive ("MM-DD"), less the skipped ones."""
    skipped = set(skip)
    start, end = _date(first), _date(last)
    out = []
    while start <= end:
        label = start.strftime("%m-%d")
        if label not in skipped:
            out.append(label)
        start += timedelta(days=1)
    return out


def _zone_offset(offset: str) -> timezone:
    sign = -1 if offset.startswith("-") else 1
    hours, minutes = offset.lstrip("+-").split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


class Programme:
    """Sessions gathered per site id."""

    def __init__(self) -> None:
        self.sessions: dict[str, list[dict[str, Any]]] = {}

    def add(self, site: str, name: str, day: str, slot: Slot, attendance: int, offset: str = "+02:00") -> None:
        """One session; an end time earlier than the start means the next day."""
        zone = _zone_offset(offset)
        start = datetime.combine(_date(day), time.fromisoformat(slot[0]), zone)
        end = datetime.combine(_date(day), time.fromisoformat(slot[1]), zone)
        if end <= start:
            end += timedelta(days=1)
        self.add_span(site, name, start, end, attendance)

    def add_span(self, site: str, name: str, start: datetime, end: datetime, attendance: int) -> None:
        """One session given by its exact start and end."""
        row = {"name": name, "start": start.isoformat(), "end": end.isoformat(), "attendance": attendance}
        self.sessions.setdefault(site, []).append(row)

    def daily(
        self,
        site: str,
        name: str,
        on: Sequence[str],
        slots: Sequence[Slot],
        base: int,
        fill: tuple[float, float] = (0.85, 1.0),
        offset: str = "+02:00",
    ) -> None:
        """The same slots on each listed day, attendance = base x a fill rate drawn per session."""
        for day in on:
            for slot in slots:
                rng = random.Random(f"{site}/{day}/{slot[0]}")
                self.add(site, name, day, slot, round(base * rng.uniform(*fill)), offset)


FOOTBALL: dict[str, tuple[int, tuple[tuple[str, str, str], ...]]] = {
    "parc-des-princes": (
        47_929,
        (
            ("07-24", "21:00", "M"),
            ("07-25", "21:00", "F"),
            ("07-27", "19:00", "M"),
            ("07-28", "21:00", "F"),
            ("07-30", "21:00", "M"),
            ("07-31", "19:00", "F"),
            ("08-02", "21:00", "M"),
            ("08-03", "21:00", "F"),
            ("08-09", "18:00", "M"),
            ("08-10", "17:00", "F"),
        ),
    ),
    "orange-velodrome": (
        67_394,
        (
            ("07-24", "17:00", "M"),
            ("07-25", "19:00", "F"),
            ("07-27", "21:00", "M"),
            ("07-28", "19:00", "F"),
            ("07-30", "19:00", "M"),
            ("07-31", "21:00", "F"),
            ("08-02", "17:00", "M"),
            ("08-03", "19:00", "F"),
            ("08-05", "18:00", "M"),
            ("08-06", "21:00", "F"),
        ),
    ),
    "groupama-stadium": (
        59_186,
        (
            ("07-24", "19:00", "M"),
            ("07-25", "17:00", "F"),
            ("07-27", "21:00", "M"),
            ("07-28", "17:00", "F"),
            ("07-30", "17:00", "M"),
            ("07-31", "21:00", "F"),
            ("08-02", "19:00", "M"),
            ("08-03", "17:00", "F"),
            ("08-05", "21:00", "M"),
            ("08-06", "18:00", "F"),
            ("08-08", "17:00", "M"),
            ("08-09", "15:00", "F"),
        ),
    ),
    "allianz-riviera": (
        35_624,
        (
            ("07-24", "15:00", "M"),
            ("07-25", "19:00", "F"),
            ("07-27", "17:00", "M"),
            ("07-28", "19:00", "F"),
            ("07-30", "17:00", "M"),
            ("07-31", "21:00", "F"),
        ),
    ),
    "matmut-atlantique": (
        42_115,
        (
            ("07-24", "17:00", "M"),
            ("07-25", "21:00", "F"),
            ("07-27", "17:00", "M"),
            ("07-28", "21:00", "F"),
            ("07-30", "19:00", "M"),
            ("07-31", "19:00", "F"),
            ("08-02", "15:00", "M"),
            ("08-03", "21:00", "F"),
        ),
    ),
    "la-beaujoire": (
        35_322,
        (
            ("07-24", "21:00", "M"),
            ("07-25", "17:00", "F"),
            ("07-27", "21:00", "M"),
            ("07-28", "15:00", "F"),
            ("07-30", "15:00", "M"),
            ("07-31", "17:00", "F"),
            ("08-02", "21:00", "M"),
            ("08-03", "15:00", "F"),
        ),
    ),
    "geoffroy-guichard": (
        41_965,
        (
            ("07-24", "19:00", "M"),
            ("07-25", "15:00", "F"),
            ("07-27", "15:00", "M"),
            ("07-28", "17:00", "F"),
            ("07-30", "21:00", "M"),
            ("07-31", "15:00", "F"),
        ),
    ),
}
"""Per stadium: seats, then (day, kick-off, M(en)/F(emmes)) of each Olympic football match it hosted."""


def _football_round(day: str, team: str) -> tuple[str, tuple[float, float]]:
    if day <= "07-31":
        return "phase de groupes", (0.35, 0.85)
    if day <= "08-03":
        return "quart de finale", (0.7, 0.95)
    if day <= "08-06":
        return "demi-finale", (0.9, 1.0)
    final = (team == "M" and day == "08-09") or (team == "F" and day == "08-10")
    return ("finale" if final else "match pour la médaille de bronze"), (0.92, 1.0)


def _football(programme: Programme) -> None:
    for site, (seats, matches) in FOOTBALL.items():
        for day, kick_off, team in matches:
            stage, fill = _football_round(day, team)
            end = f"{int(kick_off[:2]) + 2:02d}{kick_off[2:]}"
            rng = random.Random(f"{site}/{day}")
            gender = "masculin" if team == "M" else "féminin"
            programme.add(site, f"Football {gender} — {stage}", day, (kick_off, end), round(seats * rng.uniform(*fill)))


def _ceremonies(programme: Programme, sections: dict[str, int]) -> None:
    for site, people in sections.items():
        programme.add(site, "Cérémonie d'ouverture sur la Seine", "07-26", ("19:30", "23:15"), people)
    programme.add("stade-de-france", "Cérémonie de clôture", "08-11", ("21:00", "23:30"), 71_500)


def _competitions(p: Programme) -> None:
    p.daily(
        "stade-de-france",
        "Rugby à 7",
        days("07-24", "07-30", skip=["07-26"]),
        [("14:30", "18:00"), ("19:30", "22:30")],
        69_000,
    )
    p.daily(
        "stade-de-france",
        "Athlétisme",
        days("08-02", "08-10"),
        [("10:00", "13:30"), ("19:00", "22:30")],
        69_000,
        (0.8, 1.0),
    )
    p.daily("roland-garros", "Tennis", days("07-27", "08-04"), [("11:00", "20:00")], 32_000)
    p.daily(
        "roland-garros",
        "Boxe — finales (court Philippe-Chatrier)",
        days("08-07", "08-10"),
        [("20:30", "23:30")],
        15_000,
    )
    p.daily("champ-de-mars-arena", "Judo", days("07-27", "08-03"), [("10:00", "13:30"), ("16:00", "19:30")], 8_300)
    p.daily("champ-de-mars-arena", "Lutte", days("08-05", "08-11"), [("11:00", "14:30"), ("17:00", "20:30")], 8_300)
    p.daily(
        "eiffel-tower-stadium",
        "Volley-ball de plage",
        days("07-27", "08-10"),
        [("09:00", "12:30"), ("14:00", "17:30"), ("21:00", "00:30")],
        12_860,
    )
    concorde = {
        "07-27": ("Skateboard street", 6_500),
        "07-28": ("Skateboard street", 6_500),
        "07-29": ("Skateboard street", 6_500),
        "07-30": ("BMX freestyle et basket 3x3", 13_000),
        "07-31": ("BMX freestyle et basket 3x3", 13_000),
    }
    concorde |= {day: ("Basket 3x3", 8_000) for day in days("08-01", "08-05")}
    concorde |= {
        "08-06": ("Skateboard park", 6_000),
        "08-07": ("Skateboard park", 6_000),
        "08-09": ("Breaking", 8_000),
        "08-10": ("Breaking", 8_000),
    }
    for day, (sport, people) in concorde.items():
        p.daily("concorde", f"Parc urbain de la Concorde — {sport}", [day], [("10:00", "22:00")], people)
    p.daily("invalides", "Tir à l'arc — tour de classement", ["07-25"], [("09:30", "16:00")], 4_000)
    p.daily("invalides", "Tir à l'arc", days("07-27", "08-04"), [("09:30", "13:00"), ("14:15", "18:00")], 8_000)
    p.add("invalides", "Marathon masculin — arrivée", "08-10", ("08:00", "11:30"), 30_000)
    p.add("invalides", "Marathon féminin — arrivée", "08-11", ("08:00", "11:30"), 30_000)
    p.daily("grand-palais", "Escrime", days("07-27", "08-04"), [("09:00", "13:30"), ("19:30", "22:30")], 8_000)
    p.daily("grand-palais", "Taekwondo", days("08-07", "08-10"), [("09:00", "13:00"), ("19:00", "22:30")], 8_000)
    p.add("pont-alexandre-iii", "Cyclisme — contre-la-montre (arrivée)", "07-27", ("14:30", "18:00"), 10_000)
    p.add("pont-alexandre-iii", "Triathlon individuel", "07-31", ("08:00", "12:00"), 20_000)
    p.add("pont-alexandre-iii", "Triathlon relais mixte", "08-05", ("08:00", "10:30"), 15_000)
    p.daily("pont-alexandre-iii", "Natation marathon", ["08-08", "08-09"], [("07:30", "10:00")], 10_000)
    p.add("trocadero", "Cérémonie d'ouverture — final au Trocadéro", "07-26", ("19:30", "23:15"), 40_000)
    p.add("trocadero", "Athlétisme — marche", "08-01", ("07:30", "11:00"), 15_000)
    p.daily("trocadero", "Cyclisme sur route — arrivée", ["08-03", "08-04"], [("11:00", "17:30")], 40_000)
    p.daily(
        "trocadero",
        "Parc des Champions",
        days("07-29", "08-11", skip=["08-03", "08-04"]),
        [("14:00", "20:00")],
        13_000,
        (0.75, 1.0),
    )
    p.daily(
        "bercy-arena",
        "Gymnastique artistique",
        days("07-27", "08-05"),
        [("11:00", "14:00"), ("15:30", "18:30"), ("20:00", "22:30")],
        14_500,
    )
    p.daily(
        "bercy-arena",
        "Basket-ball — phases finales",
        days("08-06", "08-11", skip=["08-07", "08-09"]),
        [("14:00", "17:00"), ("20:00", "23:00")],
        15_000,
    )
    p.daily(
        "porte-de-la-chapelle-arena",
        "Badminton",
        days("07-27", "08-05"),
        [("09:00", "13:00"), ("14:30", "18:30"), ("19:30", "22:30")],
        7_500,
    )
    p.daily("porte-de-la-chapelle-arena", "Gymnastique rythmique", days("08-08", "08-10"), [("14:00", "17:00")], 7_500)
    p.daily(
        "south-paris-arena-1",
        "Volley-ball",
        days("07-27", "08-11"),
        [("09:00", "12:30"), ("13:30", "17:00"), ("20:00", "23:30")],
        12_000,
    )
    p.daily(
        "south-paris-arena-4",
        "Tennis de table",
        days("07-27", "08-10"),
        [("10:00", "13:30"), ("15:00", "18:30"), ("19:30", "22:30")],
        6_650,
    )
    p.daily(
        "south-paris-arena-6",
        "Handball — tour préliminaire",
        days("07-25", "08-04", skip=["07-26"]),
        [("09:30", "13:00"), ("14:30", "18:00"), ("19:30", "23:00")],
        6_000,
    )
    p.daily(
        "south-paris-arena-6", "Haltérophilie", days("08-07", "08-11"), [("15:00", "17:30"), ("19:30", "22:00")], 6_000
    )
    p.daily(
        "paris-la-defense-arena", "Natation", days("07-27", "08-04"), [("11:00", "13:30"), ("20:30", "22:30")], 15_220
    )
    p.daily(
        "paris-la-defense-arena",
        "Water-polo — phases finales",
        days("08-08", "08-10"),
        [("14:00", "17:00"), ("20:00", "22:30")],
        15_220,
    )
    p.add("paris-la-defense-arena", "Water-polo — finale féminine", "08-11", ("14:30", "16:30"), 15_220)
    p.daily(
        "yves-du-manoir",
        "Hockey sur gazon",
        days("07-27", "08-09"),
        [("10:00", "14:00"), ("19:00", "23:00")],
        15_000,
        (0.6, 0.95),
    )
    p.daily(
        "le-bourget-climbing",
        "Escalade sportive",
        days("08-05", "08-10"),
        [("10:00", "14:00"), ("15:00", "18:00")],
        6_000,
    )
    p.daily(
        "aquatics-centre",
        "Plongeon, water-polo, natation artistique",
        days("07-27", "08-10"),
        [("10:00", "13:30"), ("15:00", "18:30")],
        5_000,
    )
    p.daily("vaires-flatwater", "Aviron", days("07-27", "08-03"), [("09:30", "12:30")], 14_000, (0.6, 0.95))
    p.daily(
        "vaires-flatwater",
        "Canoë-kayak course en ligne",
        days("08-06", "08-10"),
        [("09:30", "13:30")],
        14_000,
        (0.6, 0.95),
    )
    p.daily("vaires-whitewater", "Canoë-kayak slalom", days("07-27", "08-05"), [("15:00", "17:30")], 8_000)
    p.daily(
        "versailles",
        "Sports équestres",
        days("07-27", "08-06", skip=["07-29"]),
        [("09:30", "17:30")],
        18_000,
        (0.7, 1.0),
    )
    p.add("versailles", "Concours complet — cross", "07-29", ("09:30", "14:30"), 40_000)
    p.daily("versailles", "Pentathlon moderne — finales", ["08-10", "08-11"], [("10:00", "18:00")], 14_000)
    p.daily("golf-national", "Golf masculin", days("08-01", "08-04"), [("08:00", "16:00")], 25_000, (0.7, 1.0))
    p.daily("golf-national", "Golf féminin", days("08-07", "08-10"), [("08:00", "16:00")], 20_000, (0.7, 1.0))
    p.add("elancourt-hill", "VTT cross-country féminin", "07-28", ("14:00", "16:00"), 20_000)
    p.add("elancourt-hill", "VTT cross-country masculin", "07-29", ("14:00", "16:00"), 25_000)
    p.daily("sqy-velodrome", "Cyclisme sur piste", days("08-05", "08-11"), [("17:00", "20:30")], 5_000)
    p.daily(
        "sqy-velodrome", "Cyclisme sur piste — session du matin", days("08-07", "08-09"), [("10:00", "13:00")], 5_000
    )
    p.daily("sqy-bmx", "BMX racing", ["08-01", "08-02"], [("18:30", "21:30")], 5_000)
    p.daily(
        "north-paris-arena",
        "Boxe — tour préliminaire",
        days("07-27", "08-06"),
        [("11:00", "14:30"), ("20:00", "23:30")],
        6_000,
    )
    p.daily("north-paris-arena", "Pentathlon moderne — escrime", ["08-08", "08-09"], [("09:00", "12:00")], 5_000)
    p.daily("chateauroux-shooting", "Tir sportif", days("07-27", "08-05"), [("09:00", "16:00")], 3_000, (0.6, 1.0))
    p.daily("marseille-marina", "Voile", days("07-28", "08-08"), [("12:00", "18:30")], 5_000, (0.5, 1.0))
    p.daily("teahupoo", "Surf", days("07-27", "07-30"), [("07:00", "17:00")], 1_000, (0.6, 1.0), offset="-10:00")
    p.add("teahupoo", "Surf — finales", "08-05", ("07:00", "17:00"), 1_500, offset="-10:00")
    p.daily(
        "pierre-mauroy",
        "Basket-ball — tour préliminaire",
        days("07-27", "08-04"),
        [("11:00", "15:00"), ("17:00", "23:00")],
        27_000,
        (0.6, 1.0),
    )
    p.daily(
        "pierre-mauroy",
        "Handball — phases finales",
        days("08-06", "08-11", skip=["08-07"]),
        [("10:30", "14:30"), ("17:00", "22:30")],
        27_000,
    )


FAN_ZONES: dict[str, int] = {
    "club-villette": 30_000,
    "hotel-de-ville": 12_000,
    "club-republique": 8_000,
    "club-bastille": 7_000,
    "club-nation": 10_000,
    "club-parc-de-bercy": 12_000,
    "club-batignolles": 9_000,
    "club-georges-brassens": 8_000,
    "club-belleville": 6_000,
    "fan-marseille-vieux-port": 8_000,
    "fan-lyon-bellecour": 15_000,
    "fan-lille-grand-place": 6_000,
    "fan-bordeaux-quinconces": 15_000,
    "fan-nantes-chantiers": 8_000,
    "fan-nice-paillon": 8_000,
    "fan-saint-etienne-jaures": 5_000,
}
"""Peak crowd of each fan zone on a busy evening."""


def _fan_zones(p: Programme) -> None:
    for site, peak in FAN_ZONES.items():
        p.daily(site, "Cérémonie d'ouverture sur écran géant", ["07-26"], [("16:00", "23:45")], peak, (0.9, 1.0))
        marathon = site == "hotel-de-ville"
        for day in days("07-27", "08-11"):
            opening = ("11:30", "23:00") if marathon and day in {"08-10", "08-11"} else ("11:00", "23:00")
            p.daily(site, "Ouverture au public", [day], [opening], peak, (0.45, 0.85))
    p.daily("hotel-de-ville", "Marathon — départ", ["08-10", "08-11"], [("07:00", "09:30")], 20_000)


HUBS: dict[str, tuple[int, tuple[str, ...]]] = {
    "gare-du-nord": (12_000, ("stade-de-france", "north-paris-arena")),
    "gare-de-l-est": (5_000, ("club-villette",)),
    "gare-saint-lazare": (10_000, ("parc-des-princes", "paris-la-defense-arena")),
    "gare-de-lyon": (10_000, ("bercy-arena",)),
    "gare-montparnasse": (7_000, ("south-paris-arena-1", "versailles", "sqy-velodrome")),
    "chatelet-les-halles": (14_000, ("stade-de-france", "hotel-de-ville")),
    "la-defense": (9_000, ("paris-la-defense-arena",)),
    "stade-de-france-rer-d": (3_000, ("stade-de-france",)),
    "la-plaine-rer-b": (3_000, ("stade-de-france", "aquatics-centre")),
    "saint-denis-pleyel": (4_000, ("stade-de-france", "olympic-village")),
    "marseille-saint-charles": (4_000, ("orange-velodrome", "marseille-marina")),
    "lyon-part-dieu": (6_000, ("groupama-stadium", "fan-lyon-bellecour")),
    "lille-europe": (3_000, ("pierre-mauroy",)),
    "bordeaux-saint-jean": (4_000, ("matmut-atlantique",)),
    "nice-ville": (3_000, ("allianz-riviera",)),
    "nantes-gare": (3_500, ("la-beaujoire",)),
    "saint-etienne-chateaucreux": (2_000, ("geoffroy-guichard",)),
    "versailles-chantiers": (2_500, ("versailles",)),
}
"""Per hub: people on its platforms and concourse at an ordinary peak, and the sites whose crowds pass through it."""

PARIS_HUBS = (
    "gare-du-nord",
    "gare-de-l-est",
    "gare-saint-lazare",
    "gare-de-lyon",
    "gare-montparnasse",
    "chatelet-les-halles",
)
SURGE_SHARE = 0.12
"""Share of a linked session's crowd in the hub at once when it arrives or leaves (split between linked hubs)."""
MIN_SURGE = 500
"""Smaller surges are left to the simulator's ordinary commuter cycle."""


def _surges(
    p: Programme, hub: str, venues: tuple[str, ...], links: dict[str, int]
) -> list[tuple[datetime, datetime, str, int]]:
    """The hub's crowd waves: before each linked session (arrivals) and after it (departures)."""
    waves = []
    for venue in venues:
        for session in p.sessions.get(venue, []):
            people = round(session["attendance"] * SURGE_SHARE / links[venue])
            if people < MIN_SURGE:
                continue
            start, end = datetime.fromisoformat(session["start"]), datetime.fromisoformat(session["end"])
            waves.append(
                (start - timedelta(minutes=60), start - timedelta(minutes=15), f"Arrivées — {session['name']}", people)
            )
            waves.append(
                (end + timedelta(minutes=10), end + timedelta(minutes=50), f"Départs — {session['name']}", people)
            )
    return sorted(waves)


def _merged(waves: list[tuple[datetime, datetime, str, int]]) -> list[tuple[datetime, datetime, str, int]]:
    """Overlapping waves as one session (the larger crowd, both names), so a hub's sessions never overlap."""
    merged: list[tuple[datetime, datetime, str, int]] = []
    for start, end, name, people in waves:
        if merged and start < merged[-1][1]:
            first_start, first_end, first_name, first_people = merged[-1]
            names = first_name if name in first_name else f"{first_name} / {name}"
            merged[-1] = (first_start, max(end, first_end), names, max(people, first_people))
        else:
            merged.append((start, end, name, people))
    return merged


def _hubs(p: Programme) -> None:
    links: dict[str, int] = {}
    for _, venues in HUBS.values():
        for venue in venues:
            links[venue] = links.get(venue, 0) + 1
    paris = _zone_offset("+02:00")
    for hub, (peak, venues) in HUBS.items():
        waves = _surges(p, hub, venues, links)
        if hub in PARIS_HUBS:
            to_seine = datetime(2024, 7, 26, 17, 0, tzinfo=paris), datetime(2024, 7, 26, 19, 0, tzinfo=paris)
            from_seine = datetime(2024, 7, 26, 23, 15, tzinfo=paris), datetime(2024, 7, 27, 0, 45, tzinfo=paris)
            waves.append((*to_seine, "Départs vers la cérémonie d'ouverture", round(peak * 1.2)))
            waves.append((*from_seine, "Retours de la cérémonie d'ouverture", round(peak * 1.5)))
        for start, end, name, people in _merged(sorted(waves)):
            p.add_span(hub, name, start, end, people)


def build_schedule(ceremony_sections: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
    """Every site's sessions, sorted by start; ceremony_sections gives each Seine section's audience."""
    programme = Programme()
    _ceremonies(programme, ceremony_sections)
    _football(programme)
    _competitions(programme)
    _fan_zones(programme)
    paris = _zone_offset("+02:00")
    village = ("Vie du Village (athlètes et délégations résidents)", datetime(2024, 7, 18, 8, 0, tzinfo=paris))
    programme.add_span("olympic-village", *village, datetime(2024, 8, 14, 12, 0, tzinfo=paris), 14_250)
    _hubs(programme)
    return {
        site: sorted(rows, key=lambda row: datetime.fromisoformat(row["start"]))
        for site, rows in programme.sessions.items()
    }
