"""Devices from CSV (UTF-8, comma-separated, a header row). Columns: `id`, `site_id`, `kind`, `lon`, `lat`
(required), `zone_id`, `interval_s`, `model`, `metrics` (optional; `metrics` separated by `;`). An empty optional
cell takes the default of the device's kind (interval, metrics)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Set
from typing import Annotated

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from beffroi.api.errors import InvalidRows
from beffroi.api.imports.rows import RowError, row_error, row_errors
from beffroi.domain.observations import Position
from beffroi.domain.registry import DEVICE_PROFILES, Device, DeviceKind
from beffroi.sim.scenario import Identifier, Latitude, Longitude

REQUIRED_COLUMNS = ("id", "site_id", "kind", "lon", "lat")
OPTIONAL_COLUMNS = ("zone_id", "interval_s", "model", "metrics")
MAX_ROWS = 50_000
Metric = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_]+$")]


class DeviceRow(BaseModel):
    """One CSV row, typed."""

    model_config = ConfigDict(extra="forbid")

    id: Identifier
    site_id: Identifier
    kind: DeviceKind
    lon: Annotated[Longitude, Field(allow_inf_nan=False)]
    lat: Annotated[Latitude, Field(allow_inf_nan=False)]
    zone_id: Identifier | None = None
    interval_s: Annotated[float, Field(gt=0, le=86_400, allow_inf_nan=False)] | None = None
    model: Annotated[str, Field(max_length=200)] = ""
    metrics: list[Metric] | None = None


def parse_device_csv(text: str, tenant_id: str, known_sites: Set[str], zone_sites: Mapping[str, str]) -> list[Device]:
    """The devices of the CSV; InvalidRows naming every bad line (1 is the header) and column.

    `zone_sites` maps each of the tenant's zones to its site: a device's zone must be on the device's site.
    """
    reader = csv.DictReader(io.StringIO(text), strict=True)
    try:
        header = reader.fieldnames
    except csv.Error as error:
        raise InvalidRows("invalid_import", [row_error(1, "(header)", f"not CSV: {error}")]) from None
    _check_header(list(header or []))
    devices: list[Device] = []
    problems: list[RowError] = []
    seen: set[str] = set()
    try:
        for record in reader:
            line = reader.line_num
            if len(devices) + len(problems) >= MAX_ROWS:
                raise InvalidRows("invalid_import", [row_error(line, "(file)", f"at most {MAX_ROWS} rows per import")])
            if None in record or any(value is None for value in record.values()):
                problems.append(row_error(line, "(row)", "the row does not have as many cells as the header"))
                continue
            device = _device(line, record, tenant_id, known_sites, zone_sites, seen, problems)
            if device is not None:
                devices.append(device)
    except csv.Error as error:
        problems.append(row_error(reader.line_num, "(row)", f"not CSV: {error}"))
    if not devices and not problems:
        problems.append(row_error(2, "(file)", "the file has a header but no device"))
    if problems:
        raise InvalidRows("invalid_import", problems)
    return devices


def _check_header(header: list[str]) -> None:
    problems = [row_error(1, name, "this column is required") for name in REQUIRED_COLUMNS if name not in header]
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    problems += [row_error(1, name or "(empty)", "unknown column") for name in header if name not in known]
    problems += [row_error(1, name, "this column appears twice") for name in set(header) if header.count(name) > 1]
    if problems:
        raise InvalidRows("invalid_import", problems)


def _device(
    line: int,
    record: dict[str, str],
    tenant_id: str,
    known_sites: Set[str],
    zone_sites: Mapping[str, str],
    seen: set[str],
    problems: list[RowError],
) -> Device | None:
    cells: dict[str, object] = {name: value.strip() for name, value in record.items() if value.strip() != ""}
    if "metrics" in cells:
        cells["metrics"] = [part.strip() for part in str(cells["metrics"]).split(";") if part.strip()]
    try:
        row = DeviceRow.model_validate(cells)
    except pydantic.ValidationError as error:
        problems.extend(row_errors(line, error))
        return None
    before = len(problems)
    if row.site_id not in known_sites:
        problems.append(row_error(line, "site_id", f"no site {row.site_id!r} in this tenant"))
    if row.zone_id is not None and zone_sites.get(row.zone_id) != row.site_id:
        where = "in this tenant" if row.zone_id not in zone_sites else f"on site {row.site_id!r}"
        problems.append(row_error(line, "zone_id", f"no zone {row.zone_id!r} {where}"))
    if row.id in seen:
        problems.append(row_error(line, "id", f"device id {row.id!r} appears twice in the import"))
    seen.add(row.id)
    if len(problems) > before:
        return None
    profile = DEVICE_PROFILES[row.kind]
    return Device(
        id=row.id,
        tenant_id=tenant_id,
        site_id=row.site_id,
        kind=row.kind,
        position=Position(row.lon, row.lat),
        interval_s=row.interval_s or profile.interval_s,
        metrics=row.metrics or list(profile.metrics),
        zone_id=row.zone_id,
        model=row.model,
    )
