"""One configuration tree, read from a TOML file and the environment once at start-up.

Every section forbids unknown keys, so a typo fails at start-up with its key path. Environment variables
override the file: `BEFFROI_STORE__URL=postgresql+psycopg://…` sets `store.url` (double underscore between
levels). Secrets are never in the file: they are read from the environment variable or file each names.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pydantic
from pydantic import Field

from beffroi.config_base import Section
from beffroi.config_crowd import CrowdConfig
from beffroi.config_engine import EngineConfig
from beffroi.config_mobile import MobileConfig
from beffroi.config_video import VideoConfig
from beffroi.errors import ConfigError
from beffroi.exports.cap.incident_mapping import CapExportSettings
from beffroi.exports.cap.model import Scope, Status
from beffroi.validation import describe_errors

PACKAGE_ROOT = Path(__file__).resolve().parent
DEFAULT_SCENARIO = PACKAGE_ROOT.parent / "scenarios" / "paris2024.json"


class SecretRef(Section):
    """Where a secret comes from: an environment variable, or a file (e.g. a Docker/Kubernetes secret)."""

    env: str | None = None
    file: Path | None = None

    def read(self) -> str | None:
        """The secret's value, or None when neither source is set or present."""
        if self.env and os.environ.get(self.env):
            return os.environ[self.env]
        if self.file and self.file.exists():
            return self.file.read_text(encoding="utf-8").strip()
        return None


class StoreConfig(Section):
    """The database. `sqlite:///PATH` (embedded) or `postgresql+psycopg://user@host/db` (production)."""

    url: str = "sqlite:///beffroi.db"
    password: SecretRef = SecretRef(env="BEFFROI_DB_PASSWORD")
    batch_max_rows: Annotated[int, Field(ge=1, le=100_000)] = 10_000


class BusConfig(Section):
    """The event bus: `inprocess` (embedded) or `nats` (NATS JetStream).

    `namespace` prefixes every subject (and the stream's subject filter), so several deployments or test runs
    can share one NATS server; give each its own `stream` name too.
    """

    kind: Literal["inprocess", "nats"] = "inprocess"
    url: str = "inprocess://"
    stream: str = "BEFFROI"
    namespace: Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-]+$")] | None = None
    max_age_s: Annotated[float, Field(gt=0)] = 86_400.0
    duplicate_window_s: Annotated[float, Field(gt=0)] = 120.0


class MqttConfig(Section):
    """The MQTT subscriber of the gateway."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 1883
    client_id: str = "beffroi-gateway"
    topics: list[str] = ["beffroi/+/data/#"]
    qos: Literal[0, 1] = 1
    persistent_session: bool = True
    username: str | None = None
    password: SecretRef = SecretRef(env="BEFFROI_MQTT_PASSWORD")


class HttpIngestConfig(Section):
    """The HTTP endpoint of the gateway (POST /ingest/{tenant}). Senders present the ingest token."""

    enabled: bool = True
    token: SecretRef = SecretRef(env="BEFFROI_INGEST_TOKEN")


class IngestConfig(Section):
    """Validation and batching rules of the gateway."""

    max_payload_bytes: Annotated[int, Field(ge=64, le=16 * 1024 * 1024)] = 64 * 1024
    max_future_skew_s: Annotated[float, Field(ge=0)] = 300.0
    max_age_s: Annotated[float, Field(gt=0)] = 7 * 86_400.0
    dedupe_capacity: Annotated[int, Field(ge=1000)] = 500_000
    batch_max_readings: Annotated[int, Field(ge=1, le=100_000)] = 2_000
    batch_linger_ms: Annotated[float, Field(ge=0, le=1000)] = 5.0
    decoder: str = "json-stream"


class EscalationLevelConfig(Section):
    """One desk of the escalation chain and the role expected there."""

    desk: Annotated[str, Field(min_length=1, max_length=128)]
    role: Literal["operator", "supervisor", "admin"] = "operator"


class EscalationConfig(Section):
    """Incidents new or in progress go one desk up the chain when an alarm stays unacknowledged for
    `unacknowledged_after_s`, or the incident unresolved for `unresolved_after_s` (unset: never)."""

    chain: list[EscalationLevelConfig] = [
        EscalationLevelConfig(desk="operators"),
        EscalationLevelConfig(desk="supervisors", role="supervisor"),
        EscalationLevelConfig(desk="command", role="admin"),
    ]
    unacknowledged_after_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = 120.0
    unresolved_after_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = 1800.0
    bump_priority: bool = True


class IncidentsConfig(Section):
    """Correlation of alarms into incidents, procedures and escalation. `correlation_rules` and `procedures` are YAML
    files (unset: the packaged beffroi/engine/default_correlation.yaml and default_procedures.yaml); `tick_s` is how
    often escalation is checked; `clock = "data"` follows alarm times (replays)."""

    correlation_rules: Path | None = None
    procedures: Path | None = None
    escalation: EscalationConfig = EscalationConfig()
    tick_s: Annotated[float, Field(gt=0)] = 5.0
    clock: Literal["wall", "data"] = "wall"


CapToken = Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[^\s,<&]+$")]
"""A CAP identifier or sender: no space, comma, '<' or '&'."""


class CapConfig(Section):
    """How incidents are exported as CAP 1.2 alerts (GET/POST /api/incidents/{id}/cap, webhooks with CAP).

    `sender` identifies the control room (CAP advises an email-like address); times are written in `timezone`; the
    scope is Restricted (to `restriction`), Private (to `addresses`) or Public; `web_url` may hold `{incident_id}`;
    the messages of active incidents expire `expires_after_s` after they are sent (unset: never).
    """

    sender: CapToken = "beffroi@localhost"
    sender_name: str | None = None
    timezone: str = "Europe/Paris"
    language: Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] = "fr-FR"
    status: Literal["Actual", "Exercise", "System", "Test", "Draft"] = "Actual"
    scope: Literal["Public", "Restricted", "Private"] = "Restricted"
    restriction: str | None = "Partner agencies of the control room only"
    addresses: str | None = None
    web_url: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None
    contact: str | None = None
    expires_after_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = 4 * 3600.0

    @pydantic.field_validator("timezone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Europe/Paris)") from None
        return value

    @pydantic.model_validator(mode="after")
    def _scope_needs_its_audience(self) -> CapConfig:
        if self.scope == "Restricted" and not self.restriction:
            raise ValueError('a "Restricted" scope needs `restriction` (who may receive the messages)')
        if self.scope == "Private" and not self.addresses:
            raise ValueError('a "Private" scope needs `addresses` (the receivers)')
        return self

    def export_settings(self) -> CapExportSettings:
        """The settings the CAP export runs with."""
        return CapExportSettings(
            sender=self.sender,
            sender_name=self.sender_name,
            timezone=self.timezone,
            language=self.language,
            status=Status(self.status),
            scope=Scope(self.scope),
            restriction=self.restriction,
            addresses=self.addresses,
            web_url=self.web_url,
            contact=self.contact,
            expires_after_s=self.expires_after_s,
        )


class WebhookEndpointConfig(Section):
    """A receiver of incident changes: POSTed to `url` for the changes of `tenant` (unset: the configured `tenant`)
    whose kind matches one of `events` (shell patterns of `incident.<change>`: `incident.*`, `incident.opened`…),
    signed with `secret` (X-Beffroi-Signature, HMAC-SHA256; unset: unsigned). `body`: `json` (the change, with its
    CAP alert in `cap` when `include_cap`) or `cap` (the CAP alert itself, sent only when the incident's CAP facts
    changed and a new revision was recorded)."""

    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
    url: Annotated[str, Field(pattern=r"^https?://[^/\s]+\S*$")]
    tenant: Annotated[str, Field(min_length=1)] | None = None
    secret: SecretRef | None = None
    events: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)] = ["incident.*"]
    timeout_s: Annotated[float, Field(gt=0, le=300)] = 10.0
    body: Literal["json", "cap"] = "json"
    include_cap: bool = False


class WebhooksConfig(Section):
    """Delivery of incident changes to `endpoints`: in order per endpoint, retried up to `max_attempts` with
    exponential back-off from `base_delay_s` to `max_delay_s`, at most `queue_size` waiting per endpoint. What is not
    delivered goes to the dead letters: the store's table (`store`, GET /api/dead-letters) or the JSON-lines file
    `<data_dir>/webhooks/dead-letters.jsonl` (`file`)."""

    dead_letters: Literal["store", "file"] = "store"
    max_attempts: Annotated[int, Field(ge=1, le=100)] = 6
    base_delay_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1.0
    max_delay_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 300.0
    queue_size: Annotated[int, Field(ge=1, le=1_000_000)] = 10_000
    endpoints: list[WebhookEndpointConfig] = []

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> WebhooksConfig:
        if self.max_delay_s < self.base_delay_s:
            raise ValueError(f"max_delay_s ({self.max_delay_s}) must not be below base_delay_s ({self.base_delay_s})")
        names = [endpoint.name for endpoint in self.endpoints]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"endpoint names must be unique; used twice: {', '.join(twice)}")
        return self


class IncidentInjection(Section):
    """An incident the simulator injects at `at_s` seconds after its start, with ground truth written out."""

    kind: Literal["overcrowding", "intrusion", "fire", "device_silent", "door_forced", "fence_breach", "panic", "drone"]
    at_s: Annotated[float, Field(ge=0)]
    site: str | None = None
    zone: str | None = None
    device: str | None = None
    duration_s: Annotated[float, Field(gt=0)] = 300.0


class SimConfig(Section):
    """The built-in simulator."""

    enabled: bool = True
    seed: int = 42
    speed: Annotated[float, Field(gt=0)] = 1.0
    start: str | None = None
    target: Literal["inprocess", "mqtt"] = "inprocess"
    mqtt_host: str = "127.0.0.1"
    mqtt_port: Annotated[int, Field(ge=1, le=65535)] = 1883
    mqtt_topic_prefix: str = "beffroi"
    mqtt_qos: Literal[0, 1] = 1
    sites: list[str] | None = None
    incidents: list[IncidentInjection] = []
    random_incidents_per_hour: Annotated[float, Field(ge=0)] = 6.0
    ground_truth_path: Path | None = None
    phones: list[Annotated[str, Field(min_length=1)]] = []
    """Sites whose crowds carry phones: one operator's cell plan and subscribers over these sites' area (`[mobile]`'s
    operator and market share), their signalling published on the bus (`beffroi.signalling.<tenant>`) for the mobile
    worker. Empty (the default): no phones."""

    @pydantic.field_validator("phones")
    @classmethod
    def _sites_once(cls, value: list[str]) -> list[str]:
        twice = sorted({site for site in value if value.count(site) > 1})
        if twice:
            raise ValueError(f"each site once; given twice: {', '.join(twice)}")
        return value


class ApiConfig(Section):
    """The HTTP server."""

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8000


class ConsoleConfig(Section):
    """The web console served by the API at `/`.

    With no `basemap_style_url` the map is drawn from the scenario's own geometry (site outlines, zones) and needs no
    internet; a MapLibre style URL (e.g. a self-hosted OpenMapTiles style) puts a real basemap under the layers.
    """

    enabled: bool = True
    basemap_style_url: Annotated[str, Field(pattern=r"^(https?://|/)\S+$")] | None = None
    default_language: Literal["fr", "en"] = "fr"
    default_tenant: str | None = None
    """Prefilled on the login page; None: the configured `tenant`."""


Role = Literal["viewer", "operator", "supervisor", "admin"]


class OidcConfig(Section):
    """Bearer tokens from an external OpenID Connect identity provider (e.g. Keycloak), checked against its keys.

    The keys are a JWKS given inline (`jwks`), in a file (`jwks_file`) or at a URL (`jwks_url`, fetched and
    cached for `jwks_cache_s`): exactly one. The user's tenant and role are read from the token's claims named by
    `tenant_claim` and `role_claim` (dotted paths, e.g. `realm_access.roles`; a list of roles grants the highest
    known one); `default_tenant` / `default_role` apply when the claim is absent.
    """

    issuer: Annotated[str, Field(min_length=1)]
    audience: Annotated[str, Field(min_length=1)]
    jwks: dict[str, Any] | None = None
    jwks_file: Path | None = None
    jwks_url: str | None = None
    jwks_cache_s: Annotated[float, Field(gt=0)] = 3600.0
    algorithms: Annotated[
        list[Literal["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]], Field(min_length=1)
    ] = [
        "RS256",
        "ES256",
    ]
    tenant_claim: Annotated[str, Field(min_length=1)] = "tenant"
    role_claim: Annotated[str, Field(min_length=1)] = "role"
    username_claim: Annotated[str, Field(min_length=1)] = "preferred_username"
    default_tenant: str | None = None
    default_role: Role | None = None
    leeway_s: Annotated[float, Field(ge=0, le=300)] = 30.0

    @pydantic.model_validator(mode="after")
    def _one_key_source(self) -> OidcConfig:
        sources = [self.jwks is not None, self.jwks_file is not None, self.jwks_url is not None]
        if sum(sources) != 1:
            raise ValueError("set exactly one of `jwks`, `jwks_file` or `jwks_url`")
        return self


class AuthConfig(Section):
    """Operator API accounts: local users signing tokens with `secret` (HS256), and optionally OIDC tokens.

    The API refuses to start without a secret of at least 32 characters.
    """

    secret: SecretRef = SecretRef(env="BEFFROI_API_SECRET")
    token_ttl_s: Annotated[int, Field(ge=60, le=7 * 86_400)] = 8 * 3600
    oidc: OidcConfig | None = None


class BeffroiConfig(Section):
    """The whole configuration."""

    tenant: str = "paris2024"
    scenario: Path = DEFAULT_SCENARIO
    data_dir: Path = Path(".")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    store: StoreConfig = StoreConfig()
    bus: BusConfig = BusConfig()
    mqtt: MqttConfig = MqttConfig()
    http_ingest: HttpIngestConfig = HttpIngestConfig()
    ingest: IngestConfig = IngestConfig()
    engine: EngineConfig = EngineConfig()
    video: VideoConfig = VideoConfig()
    crowd: CrowdConfig = CrowdConfig()
    mobile: MobileConfig = MobileConfig()
    incidents: IncidentsConfig = IncidentsConfig()
    cap: CapConfig = CapConfig()
    webhooks: WebhooksConfig = WebhooksConfig()
    sim: SimConfig = SimConfig()
    api: ApiConfig = ApiConfig()
    console: ConsoleConfig = ConsoleConfig()
    auth: AuthConfig = AuthConfig()


ENV_PREFIX = "BEFFROI_"


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    """`BEFFROI_STORE__URL=x` -> {"store": {"url": "x"}}; secrets named by SecretRef are not config keys."""
    tree: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        parts = name[len(ENV_PREFIX) :].lower().split("__")
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return tree


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def parse_config(data: dict[str, Any], source: str = "config") -> BeffroiConfig:
    """A validated config from a mapping; raises ConfigError naming each bad key path and value."""
    try:
        return BeffroiConfig.model_validate(data)
    except pydantic.ValidationError as error:
        raise ConfigError(source, describe_errors(error)) from None


def load_config(path: Path | None, environ: dict[str, str] | None = None) -> BeffroiConfig:
    """Read the TOML file (if any), apply environment overrides, validate. Relative paths are kept as given."""
    data: dict[str, Any] = {}
    source = "defaults"
    if path is not None:
        source = str(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(source, ["file not found"]) from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(source, [f"not valid TOML: {error}"]) from None
    data = _merge(data, _env_overrides(dict(os.environ if environ is None else environ)))
    return parse_config(data, source)
