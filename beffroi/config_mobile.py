"""The mobile worker's configuration: where one operator's signalling comes from (files dropped in `drop_dir`, a
stream of batches on the bus), the pseudonymisation secret, the operator's cell plan and market share, the
privacy settings (k, optional epsilon) and the slots. Part of the one config tree (`beffroi.config`).

The secret is never in the file: it is read at start-up from the environment variable `secret_env`
(BEFFROI_MOBILE_SECRET), or from a file named by `secret_file` or the environment variable BEFFROI_MOBILE_SECRET_FILE
(e.g. a Docker/Kubernetes secret). An enabled mobile worker without one refuses to start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pydantic
from pydantic import Field

from beffroi.config_base import Section
from beffroi.crowd.mobile.pseudonymise import MIN_SECRET_BYTES
from beffroi.domain.signalling import TIMING_ADVANCE_STEP_M
from beffroi.errors import ConfigError

SECRET_ENV = "BEFFROI_MOBILE_SECRET"
"""The environment variable holding the pseudonymisation secret (at least 16 bytes)."""
SECRET_FILE_ENV = "BEFFROI_MOBILE_SECRET_FILE"
"""The environment variable naming a file that holds the pseudonymisation secret."""

Departement = Annotated[str, Field(pattern=r"^(\d{2}|2[AB]|\d{3})$")]
"""A French département code: "93", "2A", "974"."""


class MobileConfig(Section):
    """Crowd figures from one mobile operator's signalling (the `mobile` component)."""

    enabled: bool = False
    tenant: Annotated[str, Field(min_length=1)] | None = None
    """The tenant whose zones the figures are made for (None: the config's `tenant`)."""
    drop_dir: Path | None = None
    """Where the operator drops signalling files (CSV or Parquet, columns of `SIGNALLING_COLUMNS`); each new file
    is read once and moved to `done/` (or `rejected/` with a `.reason` file when it cannot be read). None: no files."""
    poll_s: Annotated[float, Field(gt=0, le=300)] = 5.0
    """How often `drop_dir` is looked at, and the open slots checked against the clock."""
    stream: bool = True
    """Take signalling batches from the bus (`beffroi.signalling.<tenant>`)."""
    secret_env: Annotated[str, Field(min_length=1)] = SECRET_ENV
    secret_file: Path | None = None
    """A file holding the secret (else the file named by $BEFFROI_MOBILE_SECRET_FILE, else $`secret_env`)."""
    cell_plan: Path | None = None
    """The operator's cell plan: a JSON CellPlan (`operator`, `mcc`, `market_share`, `cells`); required when enabled.
    Its operator and market share are replaced by `operator` and `market_share` below."""
    operator: Annotated[str, Field(min_length=1, max_length=64)] = "Orange"
    market_share: Annotated[float, Field(gt=0, le=1)] = 0.4
    """The operator's share of the people present, to extrapolate from its subscribers."""
    roamer_share: Annotated[float, Field(gt=0, le=1)] | None = None
    """The operator's share of foreign roamers (None: `market_share`)."""
    k: Annotated[int, Field(ge=1, le=10_000)] = 20
    """No published figure stands for fewer than k subscribers."""
    epsilon: Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)] | None = None
    """Differential-privacy budget per slot (None: no noise; published deployments use about 2)."""
    slot_s: Annotated[int, Field(ge=60, le=3600)] = 300
    """The slot length (seconds, dividing an hour)."""
    lateness_s: Annotated[float, Field(ge=0, le=45)] = 30.0
    """How long after a slot's end its records may still arrive; the slot's figures leave then (within a minute)."""
    departement: Departement | None = None
    """The area's département: subscribers billed there are its residents."""
    zone_departements: dict[str, Departement] = Field(default_factory=dict)
    """Zone id → département, for zones outside `departement`."""
    coverage: Literal["radio", "best_server", "sector"] = "radio"
    min_resolution: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.5
    """A zone is resolvable when its cells, on average, hold at least this share of its people for it alone (from the
    cell plan and the zones: `beffroi.crowd.mobile.resolution`); the figures of the others are marked, kept in sums
    and flows, and not fused. 0.5: a majority."""
    density_prior: Literal["capacity", "uniform"] = "capacity"
    """How a cell's people are first split between the zones and the outside it covers, before the figures refine
    it slot by slot: `capacity`, each zone at the density of its capacity (none in a zone of capacity 0: water,
    tracks) and the outside at `outside_density` (crowds gather in venues); `uniform`, one density everywhere."""
    outside_density: Annotated[float, Field(gt=0, le=10, allow_inf_nan=False)] = 0.01
    """People per m² outside every zone under the `capacity` prior."""
    zone_prior_people: Annotated[float, Field(gt=0, le=1_000_000, allow_inf_nan=False)] = 30.0
    """How many people a resolvable zone's prior density is worth against its cells' counts (the smaller, the
    faster a zone's own density departs from its surroundings': `beffroi.crowd.mobile.density`)."""
    idle_survival: bool = True
    """Count a silent phone in its last cell only with the learnt chance it is still there (on by default: on the
    simulated venues it halves the error of the sites' totals, crowds leaving a stand or a platform silently; a
    steady crowd of rarely active phones is counted a little low)."""
    periodic_update_s: Annotated[float, Field(ge=60, le=86_400, allow_inf_nan=False)] = 3240.0
    """The network's periodic tracking area update timer (T3412; 3GPP's default, 54 minutes): a phone still in the
    area is heard of at least that often, so one unheard of for 10 minutes longer has left and no longer counts."""
    timing_advance: bool = True
    """The feed carries the timing advance (column `timing_advance`): each record puts its phone in a distance band
    of its cell, which tells apart zones one cell covers at different distances (`beffroi.crowd.mobile.timing`).
    Turn it off for a feed without the column (its zones' resolution would be overstated)."""
    timing_step_m: Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)] = TIMING_ADVANCE_STEP_M
    """The distance of one timing advance step: 78.12 m on LTE, 39.06 m on NR at 30 kHz."""
    timezone: str = "Europe/Paris"
    """The local time of the key-days (the key rotates daily at 03:00 local) and of the night hours."""

    @pydantic.field_validator("timezone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Europe/Paris)") from None
        return value

    @pydantic.field_validator("slot_s")
    @classmethod
    def _slot_divides_an_hour(cls, value: int) -> int:
        if 3600 % value:
            raise ValueError(f"must divide an hour (60, 120, 300, 600, 900, 1800, 3600…), got {value}")
        return value

    @pydantic.model_validator(mode="after")
    def _enabled_needs_a_plan(self) -> MobileConfig:
        if self.enabled and self.cell_plan is None:
            raise ValueError("`cell_plan` is required when the mobile worker is enabled")
        if self.enabled and self.drop_dir is None and not self.stream:
            raise ValueError("an enabled mobile worker needs `drop_dir` or `stream` (or both)")
        return self

    def read_secret(self, environ: Mapping[str, str] | None = None) -> bytes:
        """The pseudonymisation secret; ConfigError naming `mobile.secret` and where it looked when there is none
        (or it is shorter than 16 bytes). The secret itself is never part of a message."""
        env = os.environ if environ is None else environ
        path = self.secret_file or (Path(env[SECRET_FILE_ENV]) if env.get(SECRET_FILE_ENV) else None)
        if path is not None:
            try:
                secret = path.read_bytes().strip()
            except OSError as error:
                raise ConfigError("mobile.secret", [f"{path}: cannot read ({error.strerror or error})"]) from None
            where = str(path)
        else:
            secret = env.get(self.secret_env, "").strip().encode()
            where = f"${self.secret_env}"
            if not secret:
                raise ConfigError(
                    "mobile.secret",
                    [f"no pseudonymisation secret: set ${self.secret_env}, ${SECRET_FILE_ENV} or mobile.secret_file"],
                )
        if len(secret) < MIN_SECRET_BYTES:
            raise ConfigError("mobile.secret", [f"{where}: needs at least {MIN_SECRET_BYTES} bytes"])
        return secret
