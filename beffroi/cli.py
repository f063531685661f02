"""The `beffroi` command."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import sys
import tomllib
from pathlib import Path
from typing import Any, NoReturn

import click

from beffroi import __version__
from beffroi.app import COMPONENTS, Application
from beffroi.config import BeffroiConfig, load_config, parse_config
from beffroi.errors import BeffroiError, ConfigError
from beffroi.sim.scenario import load_scenario

log = logging.getLogger("beffroi")


def _setup_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")


def _load(path: Path | None) -> BeffroiConfig:
    try:
        return load_config(path)
    except ConfigError as error:
        _fail_config(error)


def _fail_config(error: ConfigError) -> NoReturn:
    click.echo(f"invalid configuration {error.source}:", err=True)
    for problem in error.problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


def _run(app: Application) -> None:
    try:
        asyncio.run(app.run_until_signalled())
    except BeffroiError as error:
        click.echo(f"beffroi: {error}", err=True)
        sys.exit(1)
    except OSError as error:
        click.echo(f"beffroi: {error}", err=True)
        sys.exit(1)


@click.group()
@click.version_option(__version__, prog_name="beffroi")
def main() -> None:
    """Beffroi: an open control tower for the security of large events, cities and sensitive sites."""


def _secret_file(path: Path, length: int) -> Path:
    """A random secret kept in `path`: made once (readable by its owner only from the start), then reused."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(secrets.token_urlsafe(length) + "\n")
    return path


def _demo_secret(data_dir: Path, name: str, env: str, length: int) -> str:
    """A demo secret: from the environment variable, else kept in DATA_DIR/NAME (mode 600), made once."""
    if os.environ.get(env):
        return os.environ[env]
    return _secret_file(data_dir / name, length).read_text(encoding="utf-8").strip()


DEMO_USER = "demo"
DEMO_PHONE_DEPARTEMENT = "93"
"""The département of the demo's phones (Seine-Saint-Denis: the Stade de France): its subscribers are residents."""
DEMO_CELL_PLAN = "mobile-cell-plan.json"
DEMO_MOBILE_SECRET = "mobile-secret"
DEMO_MOBILE_ZONE = "stade-de-france-stand-n"
"""A zone the demo's phones are in, to show its mobile-network figures."""


def demo_phone_sections(data_dir: Path) -> dict[str, Any]:
    """The demo's mobile-network sections: phones simulated on the sites of the demo cameras (the Stade de France
    and its RER station), their operator's cell plan and a pseudonymisation secret kept in the data dir, and the
    mobile worker on the bus stream (k and market share at their defaults)."""
    from beffroi.workers.video_scenes import DEMO_CAMERAS

    sites = sorted({str(camera["site_id"]) for camera in DEMO_CAMERAS})
    return {
        "sim": {"phones": sites},
        "mobile": {
            "enabled": True,
            "cell_plan": str(data_dir / DEMO_CELL_PLAN),
            "secret_file": str(data_dir / DEMO_MOBILE_SECRET),
            "departement": DEMO_PHONE_DEPARTEMENT,
        },
    }


def write_demo_phone_files(config: BeffroiConfig) -> None:
    """The simulated operator's cell plan of the phones' sites (rewritten each start: it follows the seed) and the
    pseudonymisation secret (made once, mode 600), where `mobile.cell_plan` and `mobile.secret_file` say."""
    import msgspec

    from beffroi.sim.phones import cell_plan

    mobile = config.mobile
    assert mobile.cell_plan is not None and mobile.secret_file is not None
    plan = cell_plan(
        load_scenario(config.scenario), mobile.operator, mobile.market_share, config.sim.seed, sites=config.sim.phones
    )
    partial = mobile.cell_plan.with_name(f".{mobile.cell_plan.name}.partial")
    partial.write_bytes(msgspec.json.encode(plan))
    partial.replace(mobile.cell_plan)
    _secret_file(mobile.secret_file, 32)


def _prepare_demo(config: BeffroiConfig, password: str) -> str:
    """Schema, registry and the demo account (an admin of the scenario's tenant); returns that tenant."""
    from beffroi.cli_users import create_user
    from beffroi.store.store import Store
    from beffroi.workers.registry_loader import load_registry_from_scenario

    store = Store(config.store.url)
    try:
        store.migrate()
        tenant = load_registry_from_scenario(store, config.scenario)
        create_user(store, tenant, DEMO_USER, password, "admin", "Demo operator")
    finally:
        store.close()
    return tenant


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the console and API listen on.")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where the SQLite database and the ingest token are kept.",
)
@click.option(
    "--scenario",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Scenario file (default: the Paris 2024 Games).",
)
@click.option("--speed", type=float, default=1.0, show_default=True, help="Simulated time per real second.")
@click.option("--seed", type=int, default=42, show_default=True)
@click.option(
    "--incidents-per-hour",
    type=float,
    default=6.0,
    show_default=True,
    help="Random incidents the simulator injects per simulated hour.",
)
@click.option(
    "--mqtt/--no-mqtt",
    default=False,
    show_default=True,
    help="Also subscribe to an MQTT broker on 127.0.0.1:1883 for real devices.",
)
@click.option(
    "--cameras/--no-cameras",
    default=True,
    show_default=True,
    help="Analyse simulated camera scenes live (video analytics; on the default scenario only).",
)
@click.option(
    "--phones/--no-phones",
    default=True,
    show_default=True,
    help="Simulate the phones around the Stade de France and estimate crowds from their signalling (mobile-network "
    "figures per zone every 5 minutes; on the default scenario only).",
)
def demo(
    host: str,
    port: int,
    data_dir: Path,
    scenario: Path | None,
    speed: float,
    seed: int,
    incidents_per_hour: float,
    mqtt: bool,
    cameras: bool,
    phones: bool,
) -> None:
    """Everything in one process on the embedded default: SQLite, in-process bus, built-in simulator."""
    data_dir.mkdir(parents=True, exist_ok=True)
    token = _demo_secret(data_dir, "ingest-token", "BEFFROI_INGEST_TOKEN", 24)
    os.environ["BEFFROI_INGEST_TOKEN"] = token
    os.environ["BEFFROI_API_SECRET"] = _demo_secret(data_dir, "api-secret", "BEFFROI_API_SECRET", 48)
    password = _demo_secret(data_dir, "demo-password", "BEFFROI_DEMO_PASSWORD", 12)
    data: dict[str, Any] = {
        "data_dir": str(data_dir),
        "store": {"url": f"sqlite:///{(data_dir / 'beffroi.db').resolve()}"},
        "bus": {"kind": "inprocess", "url": "inprocess://"},
        "mqtt": {"enabled": mqtt},
        "api": {"host": host, "port": port},
        "engine": {"clock": "data" if speed != 1.0 else "wall"},
        "ingest": {"max_future_skew_s": max(300.0, 3600.0 * speed)} if speed > 1 else {},
        "sim": {
            "speed": speed,
            "seed": seed,
            "random_incidents_per_hour": incidents_per_hour,
            "ground_truth_path": str(data_dir / "ground-truth.jsonl"),
        },
    }
    if scenario is not None:
        data["scenario"] = str(scenario)
    else:
        if cameras:
            from beffroi.workers.video_scenes import DEMO_CAMERAS

            data["video"] = {"simulated": DEMO_CAMERAS}
        if phones:
            sections = demo_phone_sections(data_dir)
            data["sim"].update(sections["sim"])
            data["mobile"] = sections["mobile"]
    try:
        config = parse_config(data, "demo")
    except ConfigError as error:
        _fail_config(error)
    _setup_logging(config.log_level)
    try:
        if config.mobile.enabled:
            write_demo_phone_files(config)
        tenant = _prepare_demo(config, password)
    except (BeffroiError, click.BadParameter, OSError) as error:
        click.echo(f"beffroi: {error}", err=True)
        sys.exit(1)
    config = config.model_copy(update={"tenant": tenant})
    base = f"http://{host}:{port}"
    login = json.dumps({"tenant": config.tenant, "username": DEMO_USER, "password": password})
    click.echo(f"Beffroi demo: {base}  (data in {data_dir.resolve()})")
    click.echo(f"  console: open {base}/ in a browser")
    click.echo(
        f"  log in:  tenant {config.tenant!r}, user {DEMO_USER!r}, password {password!r}"
        f" (kept in {data_dir / 'demo-password'})"
    )
    click.echo(f"           curl -X POST {base}/api/auth/login -H 'Content-Type: application/json' -d '{login}'")
    click.echo(f"  API:     {base}/docs  (OpenAPI: {base}/api/openapi.json)")
    click.echo(f"  health:  curl {base}/health")
    click.echo(f"  ingest:  curl -H 'Authorization: Bearer {token}' -d @reading.json {base}/ingest/{config.tenant}")
    if config.mobile.enabled:
        where = ", ".join(config.sim.phones)
        click.echo(f"  mobile:  {base}/api/zones/{DEMO_MOBILE_ZONE}/mobile  (phones simulated on {where})")
    click.echo("  stop with Ctrl-C")
    _run(Application(config, load_registry=False))


@main.command()
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--no-sim", is_flag=True, help="Do not run the built-in simulator.")
def serve(config_path: Path, no_sim: bool) -> None:
    """Production wiring: every component in one process, on the servers the config names."""
    config = _load(config_path)
    _setup_logging(config.log_level)
    components = [c for c in COMPONENTS if c != "sim" or (config.sim.enabled and not no_sim)]
    _run(Application(config, components))


@main.command()
@click.argument("name", type=click.Choice([c for c in COMPONENTS]))
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False, path_type=Path))
def worker(name: str, config_path: Path) -> None:
    """Run one component as its own process (scale out: several gateways or recorders on one NATS)."""
    config = _load(config_path)
    _setup_logging(config.log_level)
    if name == "sim" and config.sim.target != "mqtt":
        click.echo('the sim worker alone publishes to MQTT: set sim.target = "mqtt" (or use `beffroi sim`)', err=True)
        sys.exit(1)
    _run(Application(config, [name], load_registry=name in {"gateway", "engine"}))


@main.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option(
    "--to",
    "target",
    type=click.Choice(["mqtt", "bus"]),
    default="mqtt",
    show_default=True,
    help="mqtt: publish device payloads to the broker; bus: decode them in-process and publish "
    "readings and events to the configured bus.",
)
@click.option("--speed", type=float, default=None, help="Simulated time per real second.")
@click.option("--seed", type=int, default=None)
@click.option("--duration", type=float, default=None, help="Stop after this many real seconds.")
@click.option("--mqtt-host", default=None)
@click.option("--mqtt-port", type=int, default=None)
@click.option(
    "--ground-truth",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the injected incidents' ground truth here (JSON lines).",
)
def sim(
    config_path: Path | None,
    target: str,
    speed: float | None,
    seed: int | None,
    duration: float | None,
    mqtt_host: str | None,
    mqtt_port: int | None,
    ground_truth: Path | None,
) -> None:
    """Run the simulator alone, publishing to an MQTT broker or to the bus."""
    config = _load(config_path)
    overrides: dict[str, Any] = {"target": "mqtt" if target == "mqtt" else "inprocess"}
    for key, value in (
        ("speed", speed),
        ("seed", seed),
        ("mqtt_host", mqtt_host),
        ("mqtt_port", mqtt_port),
        ("ground_truth_path", ground_truth),
    ):
        if value is not None:
            overrides[key] = value
    config = config.model_copy(update={"sim": config.sim.model_copy(update=overrides)})
    _setup_logging(config.log_level)
    components = ["sim"] if target == "mqtt" else ["gateway", "sim"]
    app = Application(config, components, load_registry=target == "bus", sim_duration_s=duration)

    async def run() -> None:
        await app.start()
        worker = app.workers["sim"]
        try:
            from beffroi.workers.simulator import SimulatorWorker

            assert isinstance(worker, SimulatorWorker)
            await worker.finished.wait()
        finally:
            await app.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


@main.command("check-config")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def check_config(path: Path) -> None:
    """Validate a config (.toml) or a scenario (.json/.yaml) without starting; exit 0 if valid, 1 if not."""
    try:
        if path.suffix == ".toml":
            config = load_config(path)
            scenario = load_scenario(config.scenario)
            incidents, webhooks, warnings = _check_incident_sections(config)
            click.echo(
                f"{path}: valid configuration (scenario {config.scenario}: "
                f"{len(scenario.sites)} sites, {scenario.device_count()} devices)"
            )
            click.echo(f"  {incidents}; {webhooks}")
            for warning in warnings:
                click.echo(f"warning: {warning}", err=True)
        else:
            scenario = load_scenario(path)
            click.echo(
                f"{path}: valid scenario {scenario.name!r}: {len(scenario.sites)} sites, "
                f"{sum(len(s.zones) for s in scenario.sites)} zones, {scenario.device_count()} devices"
            )
    except ConfigError as error:
        _fail_config(error)


def _check_incident_sections(config: BeffroiConfig) -> tuple[str, str, list[str]]:
    """Read the incidents section's rule and procedure files and check the webhook endpoints (ConfigError naming the
    file or key path); what was found, in words, and warnings (secrets not set where this runs)."""
    from beffroi.workers.incidents import incident_settings_from
    from beffroi.workers.webhooks import webhook_endpoints_from

    settings = incident_settings_from(config)
    endpoints = webhook_endpoints_from(config, require_secrets=False)
    warnings = [
        f"webhooks.endpoints[{index}].secret: not set here ({section.secret.env or section.secret.file}); "
        "the endpoint is refused at start without it"
        for index, section in enumerate(config.webhooks.endpoints)
        if section.secret is not None and section.secret.read() is None
    ]
    rules = len(settings.rules.rules)
    procedures = len(settings.procedures.procedures)
    incidents = f"incidents: {rules} correlation rule(s), {procedures} procedure(s)"
    return incidents, f"webhooks: {len(endpoints)} endpoint(s)", warnings


@main.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option(
    "--scenario/--no-scenario",
    "with_scenario",
    default=True,
    help="Also load the configured scenario's registry (tenant, sites, zones, devices).",
)
def migrate(config_path: Path | None, with_scenario: bool) -> None:
    """Create or upgrade the database schema (and load the scenario's registry)."""
    from beffroi.store.store import Store
    from beffroi.workers.registry_loader import load_registry_from_scenario

    config = _load(config_path)
    _setup_logging(config.log_level)
    store = Store(config.store.url, password=config.store.password.read())
    try:
        store.migrate()
        if with_scenario:
            load_registry_from_scenario(store, config.scenario)
    except (BeffroiError, tomllib.TOMLDecodeError) as error:
        click.echo(f"beffroi: {error}", err=True)
        sys.exit(1)
    finally:
        store.close()
    click.echo("database is up to date")


def _register_subcommands() -> None:
    from beffroi.cli_alarms import alarms
    from beffroi.cli_detect import detect
    from beffroi.cli_forecast import forecast
    from beffroi.cli_users import user
    from beffroi.cli_video import video

    main.add_command(alarms)
    main.add_command(detect)
    main.add_command(forecast)
    main.add_command(video)
    main.add_command(user)


_register_subcommands()
