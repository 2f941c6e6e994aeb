"""What deploy/grafana/provision.py sends to Grafana, and the dashboard it sends."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from prometheus_client import Counter, Gauge, Histogram
from typer.testing import CliRunner

from deploy.grafana import provision
from deploy.grafana.provision import (
    DASHBOARDS,
    DATASOURCE_UID,
    FOLDER_UID,
    dashboard_payload,
    dashboard_queries,
    datasource_payload,
    load_dashboard,
    panels,
)
from shared import observability

DASHBOARD = DASHBOARDS / "vanguard.json"
UNITS = {"ops", "reqps", "s", "none", "percentunit"}


def metric_names() -> set[str]:
    """The sample names shared/observability.py exposes (counters end in _total, histograms in _bucket…)."""
    suffixes = {"counter": ["_total"], "gauge": [""], "histogram": ["_bucket", "_sum", "_count"]}
    return {
        family.name + suffix
        for value in vars(observability).values()
        if isinstance(value, Counter | Gauge | Histogram)
        for family in value.describe()
        for suffix in suffixes[family.type]
    }


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return load_dashboard(DASHBOARD)


def test_the_datasource_is_prometheus_under_the_uid_the_dashboards_use() -> None:
    payload = datasource_payload("http://prometheus:9090", scrape_interval="15s")
    assert payload == {
        "uid": "prometheus",
        "name": "Prometheus",
        "type": "prometheus",
        "access": "proxy",
        "url": "http://prometheus:9090",
        "isDefault": True,
        "jsonData": {"httpMethod": "POST", "timeInterval": "15s"},
    }
    assert DATASOURCE_UID == "prometheus"


def test_the_dashboard_payload_is_an_overwriting_upsert_by_uid_into_the_vanguard_folder(
    dashboard: dict[str, Any],
) -> None:
    payload = dashboard_payload({**dashboard, "id": 42})
    assert set(payload) == {"dashboard", "folderUid", "overwrite", "message"}
    assert payload["overwrite"] is True and payload["folderUid"] == FOLDER_UID == "vanguard"
    assert payload["dashboard"]["id"] is None, "a database id from an export must not pick the row to update"
    assert payload["dashboard"]["uid"] == dashboard["uid"] == "vanguard-overview"
    assert payload["dashboard"]["panels"] == dashboard["panels"]
    assert provision.FOLDER_TITLE == "Vanguard"


def test_building_a_payload_leaves_the_loaded_dashboard_untouched(dashboard: dict[str, Any]) -> None:
    before = dict(dashboard)
    dashboard_payload(dashboard)
    assert dashboard == before


def test_the_dashboard_is_a_current_grafana_dashboard(dashboard: dict[str, Any]) -> None:
    assert 36 <= dashboard["schemaVersion"] <= 41
    assert dashboard["title"] and dashboard["uid"] and "id" not in dashboard
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(set(ids)) == len(ids), ids
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24 and grid["h"] > 0, panel["title"]


def test_every_panel_has_a_title_a_query_and_a_unit(dashboard: dict[str, Any]) -> None:
    shown = list(panels(dashboard))
    assert len(shown) >= 10
    for panel in shown:
        assert panel["title"].strip(), panel
        assert panel["targets"] and all(t["expr"].strip() for t in panel["targets"]), panel["title"]
        assert panel["fieldConfig"]["defaults"]["unit"] in UNITS, panel["title"]
    titles = [panel["title"] for panel in shown]
    assert len(titles) == len(set(titles)), "two panels share a title"


def test_every_query_reads_the_datasource_variable_which_defaults_to_the_provisioned_uid(
    dashboard: dict[str, Any],
) -> None:
    (variable,) = [v for v in dashboard["templating"]["list"] if v["type"] == "datasource"]
    assert variable["query"] == "prometheus" and variable["current"]["value"] == DATASOURCE_UID
    reference = {"type": "prometheus", "uid": f"${{{variable['name']}}}"}
    for panel in panels(dashboard):
        assert panel["datasource"] == reference, panel["title"]
        assert all(t["datasource"] == reference for t in panel["targets"]), panel["title"]


def test_the_operator_sees_throughput_lag_errors_and_latency(dashboard: dict[str, Any]) -> None:
    queries = "\n".join(dashboard_queries(DASHBOARD))
    for metric in sorted(
        {name.removesuffix("_bucket") for name in metric_names() if not name.endswith(("_sum", "_count"))}
    ):
        assert metric in queries, f"no panel shows {metric}"
    assert "histogram_quantile(0.5, sum by (service, le)" in queries
    assert "histogram_quantile(0.99, sum by (service, le)" in queries
    assert 'status=~"4.."' in queries and 'status=~"5.."' in queries


def test_dashboard_queries_returns_every_expression_in_panel_order(tmp_path: Path, dashboard: dict[str, Any]) -> None:
    queries = dashboard_queries(DASHBOARD)
    assert len(queries) == sum(len(p["targets"]) for p in panels(dashboard))
    folded = {
        "panels": [
            {"type": "row", "collapsed": True, "panels": [{"targets": [{"expr": "up"}, {"refId": "B"}]}]},
            {"type": "stat", "targets": [{"expr": "sum(up)"}]},
            {"type": "text"},
        ]
    }
    path = tmp_path / "folded.json"
    path.write_text(json.dumps(folded))
    assert dashboard_queries(path) == ["up", "sum(up)"]
    assert dashboard_queries(str(path)) == ["up", "sum(up)"]


def test_the_queries_name_only_metrics_the_services_expose() -> None:
    known = metric_names()
    for expr in dashboard_queries(DASHBOARD):
        used = set(re.findall(r"\bvanguard_[a-z_]+", expr))
        assert used and used <= known, f"{expr}: unknown {used - known}"


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian's prometheus package) is not installed")
def test_promtool_accepts_every_query(tmp_path: Path) -> None:
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"vanguard:dashboard_query_{n}", "expr": expr.replace("$__rate_interval", "1m")}
                    for n, expr in enumerate(dashboard_queries(DASHBOARD))
                ],
            }
        ]
    }
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump(rules))
    checked = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_cli_parses_the_documented_invocation_without_touching_grafana() -> None:
    command = typer.main.get_command(provision.app)
    args = ["--url", "http://grafana:3000", "--user", "admin", "--password", "secret"]
    context = command.make_context("provision", [*args, "--prometheus-url", "http://prometheus:9090"])
    assert context.params["url"] == "http://grafana:3000" and context.params["password"] == "secret"
    assert context.params["prometheus_url"] == "http://prometheus:9090"
    result = CliRunner().invoke(provision.app, ["--help"])
    assert result.exit_code == 0 and "--prometheus-url" in result.output
