"""Who carries the simulated phones: categories of people, the mix of categories by place and hour, foreign
visitors' countries and home networks, and how often a phone talks to the network."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from beffroi.sim.phones.geography import DEPARTEMENTS, Departement


class Category(enum.IntEnum):
    """What a phone's owner is to the place: the split Flux Vision-like products publish."""

    RESIDENT = 0
    """Lives in the site's département (billing address there); seen at night."""
    VISITOR = 1
    """From another département, staying in the area (seen at night)."""
    DAY_VISITOR = 2
    """From another département, here for the day only (gone at night)."""
    ROAMER = 3
    """A foreign subscriber roaming on the simulated operator's network."""


CATEGORIES = tuple(Category)
FRENCH = (Category.RESIDENT, Category.VISITOR, Category.DAY_VISITOR)

HOST_MCC = 208
OPERATOR_MNC = {"orange": "01", "sfr": "10", "free": "15", "bouygues": "20", "bouygues telecom": "20"}
"""French operators' network codes; another name gets 99."""


@dataclass(frozen=True, slots=True)
class Country:
    """A visitors' country: its mobile country code, its main networks, its share of foreign visitors and the share
    of its visitors' phones that roam on the simulated operator (the rest roam on its competitors)."""

    iso: str
    mcc: int
    mncs: tuple[str, ...]
    visitor_share: float
    roaming_share: float


COUNTRIES: tuple[Country, ...] = (
    Country("US", 310, ("410", "260", "120"), 0.16, 0.30),
    Country("GB", 234, ("10", "15", "20", "30"), 0.13, 0.45),
    Country("DE", 262, ("01", "02", "03"), 0.10, 0.35),
    Country("ES", 214, ("01", "03", "07"), 0.07, 0.50),
    Country("IT", 222, ("01", "10", "88"), 0.07, 0.35),
    Country("BE", 206, ("01", "10", "20"), 0.07, 0.55),
    Country("NL", 204, ("04", "08", "16"), 0.05, 0.35),
    Country("CH", 228, ("01", "02", "03"), 0.05, 0.40),
    Country("JP", 440, ("10", "20"), 0.04, 0.35),
    Country("CN", 460, ("00", "01"), 0.04, 0.25),
    Country("BR", 724, ("05", "06", "11"), 0.03, 0.30),
    Country("CA", 302, ("220", "610", "720"), 0.03, 0.30),
    Country("PT", 268, ("01", "06"), 0.03, 0.45),
    Country("AU", 505, ("01", "02"), 0.02, 0.30),
    Country("PL", 260, ("03", "02"), 0.02, 0.50),
    Country("KR", 450, ("05", "08"), 0.02, 0.30),
    Country("IN", 404, ("10", "45"), 0.02, 0.25),
    Country("MX", 334, ("020",), 0.02, 0.30),
)
"""Foreign visitors of the 2024 Games by country (ticketing-like shares) and their roaming on the operator."""

_VISITOR_TOTAL = sum(c.visitor_share for c in COUNTRIES)
ROAMER_CARRY = sum(c.visitor_share * c.roaming_share for c in COUNTRIES) / _VISITOR_TOTAL
"""Share of foreigners whose phone shows up in the operator's signalling (roaming on it)."""


def roamer_country_shares() -> dict[str, float]:
    """Each country's share of the roamers seen on the operator's network (visitors × roaming share)."""
    weights = {c.iso: c.visitor_share * c.roaming_share for c in COUNTRIES}
    total = sum(weights.values())
    return {iso: w / total for iso, w in weights.items()}


@dataclass(frozen=True, slots=True)
class Network:
    """A home network: mobile country and network codes; `label` is "MCC-MNC"."""

    mcc: int
    mnc: str
    weight: float
    """Share of the roamers seen that come from this network (0 for the host)."""

    @property
    def label(self) -> str:
        """The home network as written in signalling files, e.g. "208-01"."""
        return f"{self.mcc}-{self.mnc}"


def networks(operator: str) -> list[Network]:
    """The host network first, then every foreign network with its share of the roamers seen."""
    host = Network(HOST_MCC, OPERATOR_MNC.get(operator.strip().lower(), "99"), 0.0)
    shares = roamer_country_shares()
    foreign = [Network(c.mcc, mnc, shares[c.iso] / len(c.mncs)) for c in COUNTRIES for mnc in c.mncs]
    return [host, *foreign]


class Profile(enum.IntEnum):
    """Who a session draws, by kind of site."""

    GAMES = 0
    FAN_ZONE = 1
    TRANSPORT = 2
    VILLAGE = 3


def site_profile(kind: str) -> Profile:
    """The session crowd profile of a site kind."""
    return {"fan_zone": Profile.FAN_ZONE, "transport_hub": Profile.TRANSPORT, "village": Profile.VILLAGE}.get(
        kind, Profile.GAMES
    )


# Share of foreigners, then the split of the French among resident / visitor / day visitor.
_SESSION_MIX: dict[Profile, tuple[float, tuple[float, float, float]]] = {
    Profile.GAMES: (0.22, (0.25, 0.40, 0.35)),
    Profile.FAN_ZONE: (0.12, (0.55, 0.20, 0.25)),
    Profile.TRANSPORT: (0.12, (0.35, 0.30, 0.35)),
    Profile.VILLAGE: (0.50, (0.30, 0.50, 0.20)),
}
_AMBIENT_FRENCH = (0.65, 0.12, 0.23)
"""Split of the French among the people around a place by day (residents, staying visitors, day visitors)."""


def _mix(foreign: float, french: tuple[float, float, float]) -> npt.NDArray[np.float64]:
    return np.array([*(share * (1 - foreign) for share in french), foreign])


def session_mix(profile: Profile) -> npt.NDArray[np.float64]:
    """Share of each category (Category order) among the people a session draws."""
    foreign, french = _SESSION_MIX[profile]
    return _mix(foreign, french)


def ambient_mix(foreign: npt.NDArray[np.float64], day_presence: float) -> npt.NDArray[np.float64]:
    """Share of each category (columns) among the people around places outside any session, one row per place's
    share of foreigners; day visitors only by day (`day_presence` in [0, 1]), their share going to residents at
    night."""
    resident, visitor, day = _AMBIENT_FRENCH
    day_share = day * day_presence
    french = np.array([resident + day - day_share, visitor, day_share])
    return np.concatenate([(1 - foreign)[:, None] * french[None, :], foreign[:, None]], axis=1)


_USAGE_BY_HOUR = np.array(
    [0.25, 0.15, 0.10, 0.08, 0.08, 0.12, 0.25, 0.50, 0.70, 0.80, 0.85, 0.90,
     0.95, 0.90, 0.90, 0.90, 0.95, 1.00, 1.00, 0.95, 0.90, 0.80, 0.60, 0.40]
)  # fmt: skip


def usage(hour: float) -> float:
    """How active phones are at this local hour, 1 at the evening peak (calls, SMS and data alike)."""
    low = int(hour) % 24
    frac = hour - int(hour)
    return float(_USAGE_BY_HOUR[low] * (1 - frac) + _USAGE_BY_HOUR[(low + 1) % 24] * frac)


def day_presence(hour: float) -> float:
    """Share of the day visitors around at this local hour: none from 23:00 to 06:00, all from 09:00 to 19:00."""
    if 9.0 <= hour <= 19.0:
        return 1.0
    if hour < 6.0 or hour > 23.0:
        return 0.0
    return (hour - 6.0) / 3.0 if hour < 9.0 else (23.0 - hour) / 4.0


T3412_S = 54 * 60.0
"""Periodic tracking-area update timer of an idle 4G phone (3GPP default)."""

CALL_PER_HOUR = np.array([2.0, 2.0, 2.0, 0.6])
SMS_PER_HOUR = np.array([1.0, 1.0, 1.0, 0.5])
DATA_SESSIONS_PER_HOUR = np.array([5.0, 5.0, 5.0, 4.0])
"""Rates at the usage peak per category (Category order); scaled by `usage(hour)` and each phone's own activity."""
DATA_BURST_EXTRA = 1.5
"""Mean extra data records of a data session (a burst: 1 + Poisson(1.5) records, ~20 s apart)."""
DATA_BURST_GAP_S = 20.0
HANDOVER_SHARE = 0.7
"""Share of cell changes made while connected (a handover record); the others reselect silently."""
DETACH_SHARE = 0.03
"""Share of phones leaving the area that detach (switched off) rather than slip away to other cells."""
MIN_ABSENCE_S = 3600.0
"""A phone that left the area comes back (the same subscriber) only after this long; else a new one arrives."""


def departement_weights(home: str, *, day_trip: bool) -> npt.NDArray[np.float64]:
    """Where visitors of a site in département `home` come from: by population, others than `home`, and for day
    trips four times likelier from the same region."""
    home_region = next((d.region for d in DEPARTEMENTS if d.code == home), "")

    def weight(d: Departement) -> float:
        if d.code == home:
            return 0.0
        near = 4.0 if day_trip and d.region == home_region else 1.0
        return d.population * near

    weights = np.array([weight(d) for d in DEPARTEMENTS], dtype=np.float64)
    total = float(weights.sum())
    return weights / total
