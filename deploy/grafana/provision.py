"""Provision Grafana through grafana-client: the Prometheus data source and Vanguard's dashboards.

python -m deploy.grafana.provision --url http://grafana:3000 --user admin --password ... \
    --prometheus-url http://prometheus:9090
(the password may come from GRAFANA_PASSWORD instead, as docker-compose.yml passes it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from grafana_client import GrafanaApi
from grafana_client.client import GrafanaClientError, GrafanaException

DASHBOARDS = Path(__file__).resolve().parent / "dashboards"
DATASOURCE_UID = "prometheus"
FOLDER_UID = "vanguard"
FOLDER_TITLE = "Vanguard"


def datasource_payload(prometheus_url: str, scrape_interval: str = "15s") -> dict[str, Any]:
    """The Prometheus data source, under the uid every dashboard refers to."""
    return {
        "uid": DATASOURCE_UID,
        "name": "Prometheus",
        "type": "prometheus",
        "access": "proxy",
        "url": prometheus_url,
        "isDefault": True,
        # Grafana derives $__rate_interval from this; keep it equal to Prometheus's scrape interval.
        "jsonData": {"httpMethod": "POST", "timeInterval": scrape_interval},
    }


def load_dashboard(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def dashboard_payload(dashboard: dict[str, Any], folder_uid: str = FOLDER_UID) -> dict[str, Any]:
    """The body of POST /api/dashboards/db: an upsert by the dashboard's uid, into the folder."""
    return {
        "dashboard": {**dashboard, "id": None},  # match by uid, never by a database id
        "folderUid": folder_uid,
        "overwrite": True,
        "message": "provisioned by deploy/grafana/provision.py",
    }


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel that shows data, rows unfolded (collapsed rows keep theirs inside)."""
    for panel in dashboard.get("panels", []):
        if panel.get("type") == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def dashboard_queries(path: Path | str) -> list[str]:
    """Every PromQL expression in a dashboard JSON file, in panel order (Grafana variables left in)."""
    return [
        target["expr"]
        for panel in panels(load_dashboard(Path(path)))
        for target in panel.get("targets", [])
        if target.get("expr")
    ]


def wait_for_grafana(grafana: GrafanaApi, timeout: float) -> None:
    """Grafana starts slower than this one-shot job: retry its health check until the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            grafana.health.check()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def upsert_datasource(grafana: GrafanaApi, payload: dict[str, Any]) -> str:
    try:
        grafana.datasource.get_datasource_by_uid(payload["uid"])
    except GrafanaClientError as error:
        if error.status_code != 404:
            raise
        grafana.datasource.create_datasource(payload)
        return "created"
    grafana.datasource.update_datasource_by_uid(payload["uid"], payload)
    return "updated"


def ensure_folder(grafana: GrafanaApi, uid: str = FOLDER_UID, title: str = FOLDER_TITLE) -> None:
    try:
        grafana.folder.get_folder(uid)
    except GrafanaClientError as error:
        if error.status_code != 404:
            raise
        grafana.folder.create_folder(title, uid=uid)


def provision(
    grafana: GrafanaApi, prometheus_url: str, dashboards: Path = DASHBOARDS, scrape_interval: str = "15s"
) -> list[str]:
    """Create or update the data source, the folder and every dashboard; say what was done."""
    outcome = upsert_datasource(grafana, datasource_payload(prometheus_url, scrape_interval))
    done = [f"data source {DATASOURCE_UID}: {outcome}"]
    ensure_folder(grafana)
    for path in sorted(dashboards.glob("*.json")):
        result = grafana.dashboard.update_dashboard(dashboard_payload(load_dashboard(path)))
        done.append(f"dashboard {path.name}: {result.get('status', 'success')} at {result.get('url', '?')}")
    return done


app = typer.Typer(add_completion=False)


@app.command()
def main(
    url: str = typer.Option("http://localhost:3000", help="Grafana's base URL"),
    user: str = typer.Option("admin", help="Grafana user with the Admin role"),
    password: str = typer.Option(..., envvar="GRAFANA_PASSWORD", help="that user's password"),
    prometheus_url: str = typer.Option("http://prometheus:9090", help="Prometheus as Grafana's server reaches it"),
    scrape_interval: str = typer.Option("15s", help="Prometheus's scrape interval"),
    wait: float = typer.Option(120, help="seconds to wait for Grafana to answer"),
) -> None:
    """Provision the Prometheus data source and the Vanguard dashboards (idempotent)."""
    grafana = GrafanaApi.from_url(url, credential=(user, password), timeout=10)
    try:
        wait_for_grafana(grafana, wait)
        for line in provision(grafana, prometheus_url, scrape_interval=scrape_interval):
            typer.echo(line)
    except GrafanaException as error:
        typer.echo(f"Grafana refused: {error.message}", err=True)
        raise typer.Exit(1) from error


if __name__ == "__main__":
    app()
