"""CAP 1.2 text forms: datetimes with an explicit offset, "lat,lon" polygons and circles, and `references`.

Each `format_*` is the exact inverse of its `parse_*`; `parse_*` raise ValueError saying what is wrong.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

from beffroi.exports.cap.model import Circle, LatLon, Reference

_CAP_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$")


def format_datetime(value: datetime) -> str:
    """`2024-07-26T19:30:00+02:00`: whole seconds, the offset spelled out, UTC as `-00:00` (CAP 1.2, never "Z")."""
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"{value.isoformat()} has no UTC offset; CAP times must carry one")
    if offset % timedelta(minutes=1):
        raise ValueError(f"{value.isoformat()} has an offset that is not a whole number of minutes")
    text = value.replace(microsecond=0).isoformat()
    return text[:-6] + "-00:00" if offset == timedelta(0) else text


def parse_datetime(text: str) -> datetime:
    """The datetime of a CAP time such as `2024-07-26T19:30:00+02:00` (fractions and "Z" are not CAP 1.2)."""
    text = text.strip()
    if not _CAP_DATETIME.match(text):
        raise ValueError(f"{text!r} is not a CAP time such as 2024-07-26T19:30:00+02:00")
    return datetime.fromisoformat(text)


def format_number(value: float) -> str:
    """A coordinate or radius in plain decimal notation, as short as round-trips (never `1e-05`, never `-0`)."""
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a finite number")
    text = repr(float(value))
    if "e" in text or "E" in text:
        text = f"{value:.12f}".rstrip("0").rstrip(".")
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text in ("-0", "-0.0") else text


def format_point(point: LatLon) -> str:
    """`lat,lon`."""
    return f"{format_number(point.lat)},{format_number(point.lon)}"


def format_polygon(ring: list[LatLon]) -> str:
    """Space-separated `lat,lon` pairs of a closed ring (first point repeated last)."""
    return " ".join(format_point(point) for point in ring)


def format_circle(circle: Circle) -> str:
    """`lat,lon radius_km`."""
    return f"{format_point(circle.center)} {format_number(circle.radius_km)}"


def parse_point(text: str) -> LatLon:
    """A `lat,lon` pair in range."""
    parts = text.split(",")
    if len(parts) != 2:
        raise ValueError(f"{text!r} is not a 'lat,lon' pair")
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise ValueError(f"{text!r} is not a 'lat,lon' pair of numbers") from None
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise ValueError(f"latitude {parts[0]} in {text!r} is not within -90..90")
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise ValueError(f"longitude {parts[1]} in {text!r} is not within -180..180")
    return LatLon(lat, lon)


def parse_polygon(text: str) -> list[LatLon]:
    """A closed ring of at least four `lat,lon` pairs, the first repeated last."""
    ring = [parse_point(pair) for pair in text.split()]
    problem = ring_problem(ring)
    if problem:
        raise ValueError(problem)
    return ring


def ring_problem(ring: list[LatLon]) -> str | None:
    """Why `ring` is not a CAP polygon (fewer than four points, or not closed), or None."""
    if len(ring) < 4:
        return f"a polygon needs at least 4 'lat,lon' pairs (a closed triangle), got {len(ring)}"
    if ring[0] != ring[-1]:
        return f"a polygon must be closed: its first pair {format_point(ring[0])} must also be its last"
    return None


def parse_circle(text: str) -> Circle:
    """A `lat,lon radius_km` circle with a radius of zero or more."""
    parts = text.split()
    if len(parts) != 2:
        raise ValueError(f"{text!r} is not a 'lat,lon radius' circle")
    try:
        radius = float(parts[1])
    except ValueError:
        raise ValueError(f"the radius {parts[1]!r} of the circle {text!r} is not a number") from None
    if not (math.isfinite(radius) and radius >= 0):
        raise ValueError(f"the radius {parts[1]} of the circle {text!r} must be zero or more kilometres")
    return Circle(parse_point(parts[0]), radius)


def format_references(references: list[Reference]) -> str:
    """Space-separated `sender,identifier,sent` triplets."""
    return " ".join(f"{ref.sender},{ref.identifier},{format_datetime(ref.sent)}" for ref in references)


def parse_references(text: str) -> list[Reference]:
    """The triplets of a `references` element."""
    references = []
    for triplet in text.split():
        parts = triplet.split(",")
        if len(parts) != 3 or not parts[0] or not parts[1]:
            raise ValueError(f"{triplet!r} is not a 'sender,identifier,sent' reference")
        references.append(Reference(parts[0], parts[1], parse_datetime(parts[2])))
    return references
