"""docker-compose.yml, deploy/Dockerfile and deploy/prometheus/prometheus.yml agree with the code they run."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from deploy import load_organisation
from deploy.grafana import provision
from shared.config import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
PROMETHEUS = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text(encoding="utf-8"))
INIT_SQL = (ROOT / "deploy" / "postgres" / "init.sql").read_text(encoding="utf-8")
DEFAULTED = re.compile(r"\$\{(\w+):-([^}]*)\}")  # ${NAME:-default}, as compose interpolates it
REQUIRED = re.compile(r"\$\{(\w+):\?([^}]*)\}")  # ${NAME:?message}: compose refuses to start without NAME


def module_of(service: dict[str, Any]) -> str | None:
    """The Python module a service runs (`python -m <module>`), if it runs one of ours."""
    command = service.get("command") or []
    if isinstance(command, str):
        command = command.split()
    return command[command.index("-m") + 1] if "-m" in command else None


def settings_class(module: str) -> type[ServiceSettings]:
    """The Settings class of the service package a module belongs to (services.filing.relay -> FilingSettings)."""
    config = importlib.import_module(".".join(module.split(".")[:2]) + ".config")
    (found,) = [
        cls
        for _, cls in inspect.getmembers(config, inspect.isclass)
        if issubclass(cls, ServiceSettings) and cls.__module__ == config.__name__
    ]
    return found


def vanguard_services() -> dict[str, tuple[dict[str, Any], type[ServiceSettings]]]:
    found = {}
    for name, service in SERVICES.items():
        module = module_of(service)
        if module and module.startswith("services."):
            found[name] = (service, settings_class(module))
    return found


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: DEFAULTED.sub(lambda m: m.group(2), str(value)) for key, value in env.items()}


def database_of(dsn: str) -> str:
    return dsn.rsplit("/", 1)[1].split("?")[0]


def metrics_port(service: dict[str, Any]) -> int:
    """Where a Vanguard process serves /metrics: a relay or a consumer on its own port, an API on its port."""
    env, module = environment(service), module_of(service) or ""
    if module.endswith(".relay"):
        return int(env["VANGUARD_RELAY_METRICS_PORT"])
    if module.endswith(".consumer"):
        return int(env["VANGUARD_CONSUMER_METRICS_PORT"])
    return int(env["VANGUARD_PORT"])


def host_ports(service: dict[str, Any]) -> dict[int, int]:
    """Published ports as {host port: container port}."""
    published = {}
    for mapping in service.get("ports") or []:
        host, container = str(mapping).rsplit(":", 1)
        published[int(host.rsplit(":", 1)[-1])] = int(container)
    return published


# Tools of ours that are not services: the VANGUARD_* variables each reads (as the services read them).
TOOL_VARIABLES = {"deploy.load_organisation": {"VANGUARD_IDENTITY_KEY", "VANGUARD_TOKEN"}}


def test_the_whole_set_is_composed() -> None:
    assert {
        "kafka",
        "postgres",
        "filing-fgw",
        "filing-fgw-relay",
        "filing-zwb",
        "filing-zwb-relay",
        "organisation-loader",
        "tasking-fgw",
        "tasking-fgw-relay",
        "tasking-fgw-consumer",
        "tasking-zwb",
        "tasking-zwb-relay",
        "tasking-zwb-consumer",
        "inspection",
        "inspection-relay",
        "inspection-consumer",
        "projection",
        "prometheus",
        "grafana",
        "grafana-provision",
    } <= set(SERVICES)
    assert SERVICES["kafka"]["image"].startswith("apache/kafka:")
    assert SERVICES["postgres"]["image"] == "postgres:16"
    assert SERVICES["grafana"]["image"].startswith("grafana/grafana:")
    assert environment(SERVICES["kafka"])["KAFKA_PROCESS_ROLES"] == "broker,controller", "KRaft, no ZooKeeper"


@pytest.mark.parametrize("name", sorted(vanguard_services()))
def test_every_vanguard_variable_is_a_field_of_the_settings_the_process_reads(name: str) -> None:
    service, settings = vanguard_services()[name]
    env = environment(service)
    names = {key.removeprefix("VANGUARD_").lower(): value for key, value in env.items() if key.startswith("VANGUARD_")}
    unknown = set(names) - set(settings.model_fields)
    assert not unknown, f"{name}: {sorted(unknown)} are not fields of {settings.__name__}, so they would be ignored"
    # The values must also parse: the settings validate them as the process would.
    parsed = settings(**names)
    assert parsed.host == "0.0.0.0", f"{name} must listen beyond the container's loopback"
    assert parsed.kafka_bootstrap == "kafka:9092"
    assert {"VANGUARD_INSTANCE", "VANGUARD_DATABASE_DSN", "VANGUARD_PORT"} <= set(env), name


def test_non_vanguard_services_set_no_vanguard_variables() -> None:
    for name, service in SERVICES.items():
        if name not in vanguard_services():
            allowed = TOOL_VARIABLES.get(module_of(service) or "", set())
            assert not [key for key in environment(service) if key.startswith("VANGUARD_") and key not in allowed], name


def test_no_secret_or_key_has_a_default_compose_refuses_to_start_without_them() -> None:
    """Every service trusts the identity service's JWKS (public keys); only identity and the loader
    hold the signing key, and it has no default."""
    raw = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert "JWT_SECRET" not in raw and "change-me" not in raw
    holders = set()
    for name, (service, _) in vanguard_services().items():
        env = environment(service)
        assert env["VANGUARD_TOKEN_KEYS"] == "http://identity:8601/.well-known/jwks.json", name
        if "VANGUARD_IDENTITY_KEY" in env:
            holders.add(name)
            raw_env = service["environment"]
            assert REQUIRED.fullmatch(str(raw_env["VANGUARD_IDENTITY_KEY"])), name
    assert holders == {"identity", "identity-relay"}
    loader_env = SERVICES["organisation-loader"]["environment"]
    assert REQUIRED.fullmatch(str(loader_env["VANGUARD_IDENTITY_KEY"]))
    assert int(environment(SERVICES["identity"])["VANGUARD_PORT"]) == 8601
    for variable in re.findall(r"\$\{(\w+):-", raw):
        assert "KEY" not in variable or variable.startswith("VANGUARD_AUDIT_KEY"), variable


@pytest.mark.parametrize("department", ["fgw", "zwb"])
def test_each_department_runs_its_own_filing_instance_and_relay_on_its_own_database(department: str) -> None:
    api, relay = SERVICES[f"filing-{department}"], SERVICES[f"filing-{department}-relay"]
    assert module_of(api) == "services.filing" and module_of(relay) == "services.filing.relay"
    env, relay_env = environment(api), environment(relay)
    assert env["VANGUARD_DEPARTMENTS"] == env["VANGUARD_INSTANCE"] == department
    assert env["VANGUARD_WORKERS"] == "2"
    assert database_of(env["VANGUARD_DATABASE_DSN"]) == f"filing_{department}"
    for shared_setting in ("VANGUARD_INSTANCE", "VANGUARD_DATABASE_DSN", "VANGUARD_KAFKA_BOOTSTRAP"):
        assert relay_env[shared_setting] == env[shared_setting], f"the relay must read its instance's {shared_setting}"
    assert int(relay_env["VANGUARD_RELAY_METRICS_PORT"]) > 0


@pytest.mark.parametrize(("department", "host_port"), [("fgw", 8201), ("zwb", 8202)])
def test_each_department_runs_its_own_tasking_instance_relay_and_consumer_on_its_own_database(
    department: str, host_port: int
) -> None:
    api = SERVICES[f"tasking-{department}"]
    relay, consumer = SERVICES[f"tasking-{department}-relay"], SERVICES[f"tasking-{department}-consumer"]
    assert module_of(api) == "services.tasking"
    assert module_of(relay) == "services.tasking.relay"
    assert module_of(consumer) == "services.tasking.consumer"
    env = environment(api)
    assert env["VANGUARD_DEPARTMENTS"] == env["VANGUARD_INSTANCE"] == department
    assert database_of(env["VANGUARD_DATABASE_DSN"]) == f"tasking_{department}"
    assert host_ports(api) == {host_port: int(env["VANGUARD_PORT"])}
    for process in (relay, consumer):
        for setting in (
            "VANGUARD_INSTANCE",
            "VANGUARD_DEPARTMENTS",
            "VANGUARD_DATABASE_DSN",
            "VANGUARD_KAFKA_BOOTSTRAP",
        ):
            assert environment(process)[setting] == env[setting], f"relay and consumer read the instance's {setting}"
        assert not process.get("ports"), "relays and consumers serve no API"
    ports = {metrics_port(api), metrics_port(relay), metrics_port(consumer)}
    assert len(ports) == 3 and 0 not in ports, "each process serves /metrics on a port of its own"
    for process in (relay, consumer):
        assert process["depends_on"][f"tasking-{department}"] == {"condition": "service_healthy"}


def test_one_inspection_service_serves_every_department_with_its_relay_and_consumer() -> None:
    api, relay, consumer = SERVICES["inspection"], SERVICES["inspection-relay"], SERVICES["inspection-consumer"]
    assert module_of(api) == "services.inspection"
    assert module_of(relay) == "services.inspection.relay"
    assert module_of(consumer) == "services.inspection.consumer"  # the scheduler runs inside it
    env = environment(api)
    assert database_of(env["VANGUARD_DATABASE_DSN"]) == "inspection"
    assert host_ports(api) == {8301: 8301} and env["VANGUARD_PORT"] == "8301"
    for process in (relay, consumer):
        assert environment(process) == env
    ports = {metrics_port(api), metrics_port(relay), metrics_port(consumer)}
    assert len(ports) == 3 and 0 not in ports
    assert not [
        name
        for name in SERVICES
        if name.startswith("inspection-") and name not in {"inspection-relay", "inspection-consumer"}
    ]


def test_the_projection_listens_on_8400() -> None:
    env = environment(SERVICES["projection"])
    assert env["VANGUARD_PORT"] == "8400" and host_ports(SERVICES["projection"]) == {8400: 8400}
    assert "127.0.0.1:8400/health" in " ".join(SERVICES["projection"]["healthcheck"]["test"])


def test_every_api_is_published_on_a_host_port_of_its_own_and_health_checked_on_its_port() -> None:
    published: dict[int, str] = {}
    for name, (service, _) in vanguard_services().items():
        for host, container in host_ports(service).items():
            assert host not in published, f"{name} and {published[host]} both publish {host}"
            published[host] = name
            assert container == int(environment(service)["VANGUARD_PORT"]), name
        if "healthcheck" in service:
            assert f"127.0.0.1:{environment(service)['VANGUARD_PORT']}/health" in " ".join(
                service["healthcheck"]["test"]
            )
    assert {8101, 8102, 8201, 8202, 8301, 8400} <= set(published)


def test_the_organisation_loader_sends_each_department_of_the_registry_to_its_filing_instance(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job = SERVICES["organisation-loader"]
    command = job["command"]
    assert command[:3] == ["python", "-m", "deploy.load_organisation"]
    monkeypatch.setenv("VANGUARD_IDENTITY_KEY", "/run/secrets/identity.jwk")
    params = typer.main.get_command(load_organisation.app).make_context("load_organisation", command[3:]).params
    registry = load_organisation.parse_registry((ROOT / params["file"]).read_text(encoding="utf-8"))
    targets = load_organisation.parse_targets(params["filing"])
    assert set(targets) == {d["code"] for d in registry}, "every department of the registry, and only those"
    for code, url in targets.items():
        host, port = url.removeprefix("http://").split(":")
        filing = SERVICES[host]
        assert module_of(filing) == "services.filing", f"{code} goes to {host}, which is not a filing instance"
        env = environment(filing)
        assert env["VANGUARD_DEPARTMENTS"] == code, f"{host} does not serve {code}"
        assert int(port) == int(env["VANGUARD_PORT"])
        assert job["depends_on"][host] == {"condition": "service_healthy"}
        assert "healthcheck" in filing
    assert params["key"] == "/run/secrets/identity.jwk"
    assert job["restart"] == "on-failure", "a one-shot job: retried on failure, never restarted once done"


def test_every_service_database_is_created_by_the_init_script() -> None:
    created = set(re.findall(r"CREATE DATABASE (\w+);", INIT_SQL))
    used = {database_of(environment(s)["VANGUARD_DATABASE_DSN"]) for s, _ in vanguard_services().values()}
    assert used <= created, f"no CREATE DATABASE for {used - created}"
    assert "./deploy/postgres/init.sql:/docker-entrypoint-initdb.d/init.sql:ro" in SERVICES["postgres"]["volumes"]
    dsn_user = {
        environment(s)["VANGUARD_DATABASE_DSN"].split("//")[1].split(":")[0] for s, _ in vanguard_services().values()
    }
    assert dsn_user == {environment(SERVICES["postgres"])["POSTGRES_USER"]}


def test_every_service_the_compose_file_depends_on_exists() -> None:
    for name, service in SERVICES.items():
        depends = service.get("depends_on") or []
        assert set(depends) <= set(SERVICES), name


def scrape_targets() -> list[tuple[str, str, str]]:
    return [
        (job["job_name"], *target.rsplit(":", 1))
        for job in PROMETHEUS["scrape_configs"]
        for group in job["static_configs"]
        for target in group["targets"]
    ]


def test_prometheus_scrapes_only_compose_services_on_the_ports_they_serve_metrics_on() -> None:
    ours = vanguard_services()
    for job, host, port in scrape_targets():
        assert host in SERVICES, f"job {job} scrapes {host}, which docker-compose.yml does not define"
        if host in ours:
            expected = metrics_port(ours[host][0])
            assert expected > 0, f"{host} serves no /metrics (its metrics port is 0)"
            assert int(port) == expected, f"{host} serves metrics on {expected}, Prometheus asks {port}"


def test_prometheus_scrapes_every_vanguard_process() -> None:
    scraped = {host for _, host, _ in scrape_targets()}
    assert set(vanguard_services()) <= scraped
    assert "./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in SERVICES["prometheus"]["volumes"]


def test_one_image_built_from_the_dockerfile_runs_every_vanguard_process() -> None:
    ours = [*vanguard_services(), "grafana-provision", "organisation-loader"]
    images = {SERVICES[name]["image"] for name in ours}
    assert len(images) == 1
    for name in ours:
        assert SERVICES[name]["build"] == {"context": ".", "dockerfile": "deploy/Dockerfile"}, name
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.MULTILINE)
    assert "pip install -r requirements.lock" in dockerfile
    for package in ("services", "shared", "deploy"):
        assert f"COPY {package} ./{package}" in dockerfile


def test_the_provisioning_job_passes_options_the_cli_accepts_and_reaches_grafana_and_prometheus(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job = SERVICES["grafana-provision"]
    command = job["command"]
    assert command[:3] == ["python", "-m", "deploy.grafana.provision"]
    env = environment(job)
    monkeypatch.setenv("GRAFANA_PASSWORD", env["GRAFANA_PASSWORD"])  # compose passes it so, not as an argument
    params = typer.main.get_command(provision.app).make_context("provision", command[3:]).params
    assert (
        params["password"] == env["GRAFANA_PASSWORD"] == environment(SERVICES["grafana"])["GF_SECURITY_ADMIN_PASSWORD"]
    )
    assert params["url"] == "http://grafana:3000" and params["prometheus_url"] == "http://prometheus:9090"
    # $__rate_interval is derived from the data source's interval: it must be Prometheus's scrape interval.
    assert params["scrape_interval"] == PROMETHEUS["global"]["scrape_interval"]
    assert set(job["depends_on"]) == {"grafana"}


def test_kafka_keeps_every_event_without_time_based_deletion() -> None:
    environment = COMPOSE["services"]["kafka"]["environment"]
    assert (environment["KAFKA_LOG_RETENTION_MS"], environment["KAFKA_LOG_RETENTION_BYTES"]) == ("-1", "-1")
