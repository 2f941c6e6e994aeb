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

from deploy.grafana import provision
from shared.config import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
PROMETHEUS = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text(encoding="utf-8"))
INIT_SQL = (ROOT / "deploy" / "postgres" / "init.sql").read_text(encoding="utf-8")
DEFAULTED = re.compile(r"\$\{(\w+):-([^}]*)\}")  # ${NAME:-default}, as compose interpolates it


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


def test_the_whole_set_is_composed() -> None:
    assert {
        "kafka",
        "postgres",
        "filing-fgw",
        "filing-fgw-relay",
        "filing-zwb",
        "filing-zwb-relay",
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
            assert not [key for key in environment(service) if key.startswith("VANGUARD_")], name


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
            env = environment(ours[host][0])
            relay = module_of(SERVICES[host]) == "services.filing.relay"
            expected = env["VANGUARD_RELAY_METRICS_PORT"] if relay else env["VANGUARD_PORT"]
            assert int(port) == int(expected), f"{host} serves metrics on {expected}, Prometheus asks {port}"


def test_prometheus_scrapes_every_vanguard_process() -> None:
    scraped = {host for _, host, _ in scrape_targets()}
    assert set(vanguard_services()) <= scraped
    assert "./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in SERVICES["prometheus"]["volumes"]


def test_one_image_built_from_the_dockerfile_runs_every_vanguard_process() -> None:
    images = {SERVICES[name]["image"] for name in [*vanguard_services(), "grafana-provision"]}
    assert len(images) == 1
    for name in [*vanguard_services(), "grafana-provision"]:
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
