"""Where the simulated phones live: French départements (population, region), the département and urban density of
a site, and what each density means for the network (mast spacing, cell range) and the people around the site."""

from __future__ import annotations

import enum
import itertools
import math
import unicodedata
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from beffroi.sim.scenario import ScenarioSite

METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True, slots=True)
class Departement:
    """A département (or overseas collectivity): its code as on a billing address, population, region code."""

    code: str
    population: int
    region: str


# code population(thousands, ~2021) region(INSEE code; "PF" French Polynesia)
_TABLE = """
01 665 84|02 525 32|03 335 84|04 166 93|05 141 93|06 1100 93|07 330 84|08 270 44|09 155 76|10 310 44|11 375 76
12 280 76|13 2050 93|14 700 28|15 144 84|16 350 75|17 655 75|18 300 24|19 240 75|2A 160 94|2B 185 94|21 535 27
22 600 53|23 116 75|24 413 75|25 545 27|26 520 84|27 600 28|28 430 24|29 915 53|30 750 76|31 1430 76|32 192 76
33 1650 75|34 1200 76|35 1100 53|36 218 24|37 610 24|38 1280 84|39 258 27|40 420 75|41 328 24|42 765 84|43 228 84
44 1450 52|45 685 24|46 174 76|47 330 75|48 76 76|49 820 52|50 495 28|51 565 44|52 170 44|53 307 52|54 730 44
55 183 44|56 765 53|57 1045 44|58 202 27|59 2610 32|60 830 32|61 278 28|62 1460 32|63 665 84|64 690 75|65 230 76
66 480 76|67 1150 44|68 770 44|69 1900 84|70 234 27|71 550 27|72 565 52|73 440 84|74 840 84|75 2130 11|76 1255 28
77 1430 11|78 1450 11|79 375 75|80 570 32|81 390 76|82 262 76|83 1090 93|84 562 93|85 690 52|86 440 75|87 372 75
88 362 44|89 333 27|90 140 27|91 1310 11|92 1630 11|93 1660 11|94 1410 11|95 1250 11|971 380 01|972 355 02
973 290 03|974 870 04|976 300 06|987 280 PF
"""

DEPARTEMENTS: tuple[Departement, ...] = tuple(
    Departement(code, int(population) * 1000, region)
    for entry in _TABLE.replace("\n", "|").split("|")
    if entry.strip()
    for code, population, region in [entry.split()]
)
"""Every département a French subscriber's billing address can be in, in code order."""

DEPARTEMENT_INDEX: dict[str, int] = {d.code: i for i, d in enumerate(DEPARTEMENTS)}


class Density(enum.IntEnum):
    """How built-up a site's surroundings are: sets the mast spacing and the people around."""

    DENSE = 0
    URBAN = 1
    SUBURBAN = 2


@dataclass(frozen=True, slots=True)
class DensityProfile:
    """What a density class means for the simulated network and population."""

    lattice_step: int
    """Masts on every n-th point of the base hexagonal lattice in both directions (1, 2, 4)."""
    margin_m: float
    """How far around the site its surroundings reach."""
    night_per_km2: float
    day_per_km2: float
    """People present around the site (in the street, at home, at work) at night and by day."""
    foreign_share: float
    """Share of foreigners among the people around the site outside any session."""


BASE_MAST_SPACING_M = 375.0
"""Distance between neighbouring masts in the densest areas (Paris macro network)."""

PROFILES: dict[Density, DensityProfile] = {
    Density.DENSE: DensityProfile(1, 300.0, 9_000.0, 14_000.0, 0.08),
    Density.URBAN: DensityProfile(2, 450.0, 4_500.0, 7_000.0, 0.05),
    Density.SUBURBAN: DensityProfile(4, 700.0, 600.0, 1_000.0, 0.03),
}


@dataclass(frozen=True, slots=True)
class _Centre:
    name: str
    lon: float
    lat: float
    departement: str
    dense_km: float
    urban_km: float


_CENTRES = (
    _Centre("paris", 2.3488, 48.8534, "75", 6.0, 12.0),
    _Centre("saint-denis", 2.3574, 48.9362, "93", 0.0, 4.0),
    _Centre("bobigny", 2.4397, 48.9086, "93", 0.0, 4.0),
    _Centre("nanterre", 2.2069, 48.8924, "92", 0.0, 4.0),
    _Centre("creteil", 2.4556, 48.7904, "94", 0.0, 4.0),
    _Centre("versailles", 2.1301, 48.8049, "78", 0.0, 2.0),
    _Centre("evry", 2.4451, 48.6328, "91", 0.0, 2.0),
    _Centre("melun", 2.6554, 48.5421, "77", 0.0, 2.0),
    _Centre("cergy", 2.0764, 49.0364, "95", 0.0, 2.0),
    _Centre("marseille", 5.3698, 43.2965, "13", 3.0, 9.0),
    _Centre("lyon", 4.8357, 45.7640, "69", 3.0, 9.0),
    _Centre("lille", 3.0573, 50.6292, "59", 1.5, 7.0),
    _Centre("bordeaux", -0.5792, 44.8378, "33", 1.5, 6.0),
    _Centre("nantes", -1.5536, 47.2184, "44", 1.5, 6.0),
    _Centre("nice", 7.2620, 43.7102, "06", 1.5, 6.0),
    _Centre("saint-etienne", 4.3872, 45.4397, "42", 1.0, 5.0),
    _Centre("chateauroux", 1.6918, 46.8103, "36", 0.0, 3.0),
    _Centre("papeete", -149.5585, -17.5516, "987", 0.0, 3.0),
)

_CITY_DEPARTEMENT = {
    "paris": "75",
    "saint-denis": "93",
    "le bourget": "93",
    "villepinte": "93",
    "nanterre": "92",
    "puteaux": "92",
    "colombes": "92",
    "vaires-sur-marne": "77",
    "versailles": "78",
    "guyancourt": "78",
    "elancourt": "78",
    "montigny-le-bretonneux": "78",
    "deols": "36",
    "chateauroux": "36",
    "marseille": "13",
    "decines-charpieu": "69",
    "lyon": "69",
    "nice": "06",
    "bordeaux": "33",
    "nantes": "44",
    "saint-etienne": "42",
    "villeneuve-d'ascq": "59",
    "lille": "59",
    "teahupo'o": "987",
}


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (equirectangular: exact enough within a country)."""
    dx = (lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, lat2 - lat1) * METRES_PER_DEGREE


def site_departement(site: ScenarioSite) -> str:
    """The département of a site: from its city's name, else the nearest known centre's."""
    city = _plain(site.city)
    for name, code in _CITY_DEPARTEMENT.items():
        if city == name or city.startswith(name + " "):
            return code
    lon, lat = site.position
    nearest = min(_CENTRES, key=lambda c: distance_m(lon, lat, c.lon, c.lat))
    return nearest.departement


def site_density(site: ScenarioSite) -> Density:
    """How built-up the site's surroundings are: Paris itself is dense, city centres urban or dense, else suburban."""
    if _plain(site.city).startswith("paris"):
        return Density.DENSE
    lon, lat = site.position
    best = Density.SUBURBAN
    for centre in _CENTRES:
        km = distance_m(lon, lat, centre.lon, centre.lat) / 1000
        if km <= centre.dense_km:
            return Density.DENSE
        if km <= centre.urban_km:
            best = Density.URBAN
    return best


def inside_rings(
    lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64], rings: list[list[tuple[float, float]]]
) -> npt.NDArray[np.bool_]:
    """Whether each point is inside a polygon given as GeoJSON rings (even-odd rule over every ring: inside the outer
    ring and outside its holes)."""
    inside = np.zeros(lon.shape[0], dtype=bool)
    for ring in rings:
        for (x1, y1), (x2, y2) in itertools.pairwise(ring):
            if y1 == y2:
                continue
            crosses = (y1 > lat) != (y2 > lat)
            inside ^= crosses & (lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1))
    return inside
