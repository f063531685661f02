"""Zones from a GeoJSON FeatureCollection of Polygons, with `id`, `site_id`, `name`, `kind`, `capacity` and
optionally `area_m2` (measured from the polygon when absent) and `width_m` (the clear width people walk through a
gate or corridor, metres; no more than the polygon's extent) as each feature's properties."""

from __future__ import annotations

from collections.abc import Set
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from beffroi.api.errors import InvalidRows
from beffroi.api.imports.rows import RowError, row_error, row_errors
from beffroi.domain.registry import Zone, ZoneKind
from beffroi.sim.scenario import Identifier, PolygonGeometry, ScenarioZone

MAX_FEATURES = 10_000


class ZoneProperties(BaseModel):
    """What a feature says of its zone (other properties are ignored)."""

    model_config = ConfigDict(extra="ignore")

    id: Identifier
    site_id: Identifier
    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: ZoneKind
    capacity: Annotated[int, Field(ge=0)]
    area_m2: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    width_m: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None


class ZoneFeature(BaseModel):
    """One GeoJSON Feature holding a zone."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["Feature"]
    properties: ZoneProperties
    geometry: PolygonGeometry


def parse_zone_features(collection: Any, tenant_id: str, known_sites: Set[str]) -> list[Zone]:
    """The zones of the collection; InvalidRows naming every bad feature and field (rows count features from 1)."""
    features = _features(collection)
    zones: list[Zone] = []
    problems: list[RowError] = []
    seen: set[str] = set()
    for index, raw in enumerate(features):
        row = index + 1
        try:
            feature = ZoneFeature.model_validate(raw)
        except pydantic.ValidationError as error:
            problems.extend(row_errors(row, error))
            continue
        props = feature.properties
        if props.site_id not in known_sites:
            problems.append(row_error(row, "properties.site_id", f"no site {props.site_id!r} in this tenant"))
        if props.id in seen:
            problems.append(row_error(row, "properties.id", f"zone id {props.id!r} appears twice in the import"))
        seen.add(props.id)
        area = props.area_m2 if props.area_m2 is not None else feature.geometry.area_m2()
        try:
            checked = ScenarioZone(
                id=props.id,
                name=props.name,
                kind=props.kind,
                area_m2=area,
                capacity=props.capacity,
                geometry=feature.geometry,
                width_m=props.width_m,
            )
        except pydantic.ValidationError as error:
            problems.extend(row_errors(row, error, "properties"))
            continue
        zones.append(checked.to_zone(tenant_id, props.site_id))
    if problems:
        raise InvalidRows("invalid_import", problems)
    return zones


def _features(collection: Any) -> list[Any]:
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise InvalidRows("invalid_import", [row_error(0, "type", "the body must be a GeoJSON FeatureCollection")])
    features = collection.get("features")
    if not isinstance(features, list) or not features:
        raise InvalidRows("invalid_import", [row_error(0, "features", "a non-empty list of features is needed")])
    if len(features) > MAX_FEATURES:
        raise InvalidRows("invalid_import", [row_error(0, "features", f"at most {MAX_FEATURES} features per import")])
    return features
