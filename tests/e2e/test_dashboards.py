"""The Grafana dashboard's queries, run by a real Prometheus scraping the real services under real traffic."""

from __future__ import annotations

import math
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from deploy.grafana.provision import dashboard_queries, load_dashboard, panels
from shared.auth import Role
from shared.devstack.ports import free_port
from shared.devstack.processes import ServiceProcess
from shared.devstack.stack import Stack
from tests.support import ORGANISATION, eventually, headers, project_body

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "dashboards" / "vanguard.json"
PROMETHEUS = shutil.which("prometheus")
# What Grafana would put in for its variables; one scrape a second keeps a minute well filled.
GRAFANA_VARIABLES = {"$__rate_interval": "1m"}
# Failures do not happen in a healthy run, so these queries may rightly answer nothing.
MEASURES_FAILURES = (
    "vanguard_consumer_errors_total",
    "vanguard_dead_letters_total",
    "vanguard_consumer_batch_retries_total",
    "vanguard_deadline_failures_total",
    'outcome="failed"',
    'status=~"5..',
)
# Metrics declared in shared/observability.py that no service updates yet: an empty answer is
# reported as an expected failure, not a pass. Remove an entry once its metric is updated.
NOT_YET_INSTRUMENTED: dict[str, str] = {}
LATEST_BUCKET = 2.5  # the histogram's largest finite bucket: histogram_quantile never answers more

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        PROMETHEUS is None, reason="the prometheus binary is not on PATH; run deploy/install-prometheus.sh"
    ),
]


class Prometheus:
    """A Prometheus server of the test's own: own config, own storage, a free loopback port."""

    def __init__(self, folder: Path, scrape_configs: list[dict[str, Any]]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.config = folder / "prometheus.yml"
        self.config.write_text(
            yaml.safe_dump(
                {
                    "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
                    "scrape_configs": scrape_configs,
                }
            )
        )
        self.folder = folder
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log_path = folder / "prometheus.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Prometheus:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    str(PROMETHEUS),
                    f"--config.file={self.config}",
                    f"--storage.tsdb.path={self.folder / 'data'}",
                    f"--web.listen-address={self.url.removeprefix('http://')}",
                    "--storage.tsdb.retention.time=1h",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def ready() -> bool:
            assert self.process is not None and self.process.poll() is None, self.log_path.read_text()[-2000:]
            return httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200

        eventually(ready, timeout=30, interval=0.1, what="Prometheus ready")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query; fails on anything but a successful answer."""
        response = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10)
        body = response.json()
        assert response.status_code == 200 and body["status"] == "success", f"{expr}\n→ {response.text}"
        assert body["data"]["resultType"] == "vector", expr
        return body["data"]["result"]


PrometheusFor = Callable[[list[dict[str, Any]]], Prometheus]


@pytest.fixture
def prometheus_for(tmp_path: Path) -> Iterator[PrometheusFor]:
    """Start a Prometheus with these scrape configs; it is stopped after the test, whatever happens."""
    started: list[Prometheus] = []

    def start(scrape_configs: list[dict[str, Any]]) -> Prometheus:
        started.append(Prometheus(tmp_path / "prometheus", scrape_configs))
        return started[-1].start()

    yield start
    for server in started:
        server.stop()


def job(name: str, targets: dict[str, int]) -> dict[str, Any]:
    return {
        "job_name": name,
        "static_configs": [
            {"targets": [f"127.0.0.1:{port}"], "labels": {"instance": instance}} for instance, port in targets.items()
        ],
    }


def api_port(process: ServiceProcess) -> int:
    return int(process.env["VANGUARD_PORT"])


def relay_port(process: ServiceProcess) -> int:
    return int(process.env["VANGUARD_RELAY_METRICS_PORT"])


ORGANISATION_BRANCH = {d["code"]: d["branches"][0]["code"] for d in ORGANISATION["departments"]}


def drive(filing: dict[str, str], projection: str, wave: int) -> None:
    """One wave of real work per department (党委出题 → 支部立项 → 审核通过) and a few refused requests."""
    for dept, url in filing.items():
        drive_department(url, dept, projection, wave)


def drive_department(url: str, dept: str, projection: str, wave: int) -> None:
    branch = ORGANISATION_BRANCH[dept]
    committee = lambda: headers(Role.COMMITTEE, dept)  # noqa: E731 - a fresh request id each call
    secretary = lambda: headers(Role.SECRETARY, dept, branch)  # noqa: E731
    topic = httpx.post(
        f"{url}/topics",
        headers=committee(),
        json={"year": 2026, "direction": "business_environment", "title": f"优化审批服务 {wave}"},
    )
    assert topic.status_code == 201, topic.text
    for n in range(2):
        drafted = httpx.post(
            f"{url}/projects", headers=secretary(), json=project_body(topic.json()["id"], f"项目 {wave}-{n}")
        )
        assert drafted.status_code == 201, drafted.text
        pid, version = drafted.json()["id"], drafted.json()["version"]
        submitted = httpx.post(f"{url}/projects/{pid}/submit", headers=secretary(), json={"expected_version": version})
        assert submitted.status_code == 200, submitted.text
        approved = httpx.post(
            f"{url}/projects/{pid}/approve",
            headers=committee(),
            json={"expected_version": submitted.json()["version"]},
        )
        assert approved.status_code == 200, approved.text
        # 4xx, as users cause them: a member approving, a stale version, an unknown project, a bad body.
        refusals = [
            httpx.post(
                f"{url}/projects/{pid}/approve",
                headers=headers(Role.MEMBER, dept, branch),
                json={"expected_version": approved.json()["version"]},
            ),
            httpx.post(f"{url}/projects/{pid}/withdraw", headers=secretary(), json={"expected_version": 1}),
            httpx.get(f"{url}/projects/00000000-0000-4000-8000-000000000000", headers=committee()),
            httpx.post(f"{url}/topics", headers=committee(), json={"year": "soon"}),
            httpx.get(f"{url}/topics"),
        ]
        assert all(400 <= r.status_code < 500 for r in refusals), [r.status_code for r in refusals]
        httpx.get(f"{projection}/projects/{pid}", headers=headers(Role.AUDITOR))
    httpx.get(f"{projection}/departments/{dept}/audit-trail", headers=headers(Role.AUDITOR))


def values(result: list[dict[str, Any]]) -> list[float]:
    return [float(sample["value"][1]) for sample in result]


def uninstrumented(expr: str) -> str | None:
    return next((metric for metric in NOT_YET_INSTRUMENTED if metric in expr), None)


def measures_failures(expr: str) -> bool:
    return any(marker in expr for marker in MEASURES_FAILURES)


def must_show_data(expr: str) -> bool:
    return not measures_failures(expr) and uninstrumented(expr) is None


def promql(expr: str) -> str:
    """The expression as Grafana sends it, its variables put in."""
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    assert "$" not in expr, f"a Grafana variable the test does not know: {expr}"
    return expr


def check_plausible(title: str, unit: str, expr: str, result: list[dict[str, Any]], active: bool = True) -> None:
    """What a panel's unit says its numbers must look like; `active`: traffic ran, so rates are above 0."""
    numbers = values(result)
    finite = [v for v in numbers if math.isfinite(v)]
    where = f"{title}: {expr} → {result}"
    # A quantile or a ratio over a series without requests in the window is NaN: a gap in Grafana.
    assert finite, f"only NaN: {where}"
    if "histogram_quantile" not in expr and " / " not in expr:
        assert len(finite) == len(numbers), f"NaN or Inf: {where}"
    assert all(v >= 0 for v in finite), f"negative: {where}"
    if unit in ("ops", "reqps") and active:
        assert max(finite) > 0, f"no throughput: {where}"
    elif unit == "percentunit":
        assert all(v <= 1 for v in finite), f"a ratio above 100%: {where}"
    elif unit == "s" and "histogram_quantile" in expr:
        assert all(0 < v <= LATEST_BUCKET for v in finite), f"implausible latency: {where}"


class Answers(dict[str, list[dict[str, Any]]]):
    """Prometheus's answer to each dashboard expression."""

    def by(self, *fragments: str, labels: tuple[str, ...] = ()) -> dict[tuple[str, ...], float]:
        """The answer of the one expression holding every fragment, as {its label values: value}."""
        (expr,) = [e for e in self if all(f in e for f in fragments)]
        return {tuple(s["metric"][label] for label in labels): float(s["value"][1]) for s in self[expr]}


def check_figures(answers: Answers, topics: set[str]) -> None:
    """The figures an operator reads first, against the traffic the test drove."""
    assert answers.by("sum(rate(vanguard_events_recorded_total")[()] > 0
    recorded = answers.by("vanguard_events_recorded_total", "by (service, instance)", labels=("service", "instance"))
    # The projection's own event store (考核评价) records the scheme versions it adopts at start: no more here.
    filing = {key: rate for key, rate in recorded.items() if key[0] == "filing"}
    assert set(filing) == {("filing", "filing-fgw"), ("filing", "filing-zwb")}, recorded
    assert min(filing.values()) > 0 and set(recorded) - set(filing) <= {("assessment", "projection")}, recorded
    published = answers.by("vanguard_events_published_total", "by (service, topic)", labels=("topic",))
    assert {topic for (topic,) in published} == topics and min(published.values()) > 0, published
    consumed = answers.by(
        "vanguard_events_consumed_total", "by (service, source, outcome)", labels=("service", "source", "outcome")
    )
    assert consumed.get(("projection", "filing", "applied"), 0) > 0, consumed
    p50 = answers.by("histogram_quantile(0.5", "by (service, le)", labels=("service",))
    p99 = answers.by("histogram_quantile(0.99", "by (service, le)", labels=("service",))
    assert set(p50) == set(p99) == {("filing",), ("projection",)}, (p50, p99)
    assert all(0 < p50[s] <= p99[s] <= LATEST_BUCKET for s in p99), (p50, p99)
    client_errors = answers.by('status=~"4.."', "by (service)", labels=("service",))
    assert 0 < client_errors.get(("filing",), 0) < 1, client_errors
    assert all(
        v == 0 or math.isnan(v) for v in answers.by('status=~"5.."', "by (service)", labels=("service",)).values()
    )


def test_every_dashboard_query_answers_from_prometheus_scraping_the_real_services(
    stack: Stack, prometheus_for: PrometheusFor
) -> None:
    fgw, fgw_relay = stack.filing("fgw", "fgw")
    zwb, zwb_relay = stack.filing("zwb", "zwb")
    projection = stack.projection()
    for process in (fgw, fgw_relay, zwb, zwb_relay, projection):
        process.start()
    prometheus = prometheus_for(
        [
            job("filing", {"filing-fgw": api_port(fgw), "filing-zwb": api_port(zwb)}),
            job("filing-relay", {"filing-fgw-relay": relay_port(fgw_relay), "filing-zwb-relay": relay_port(zwb_relay)}),
            job("projection", {"projection": api_port(projection)}),
        ]
    )

    def all_targets_up() -> bool:
        targets = httpx.get(f"{prometheus.url}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
        assert len(targets) == 5 and all(t["health"] == "up" for t in targets), [
            (t["labels"]["instance"], t["health"], t["lastError"]) for t in targets
        ]
        return True

    eventually(all_targets_up, timeout=60, what="Prometheus scraping all five processes")

    filing = {"fgw": stack.url(fgw), "zwb": stack.url(zwb)}
    for n, url in enumerate(filing.values()):
        org = {"departments": [ORGANISATION["departments"][n]]}
        assert httpx.post(f"{url}/organisation", json=org, headers=headers(Role.ADMIN)).status_code == 200
    drive(filing, stack.url(projection), wave=1)

    # A rate needs a sample before the increase: let Prometheus see the first wave's counters, then add more.
    def first_wave_scraped() -> bool:
        for metric in ("vanguard_events_recorded_total", "vanguard_events_published_total"):
            assert prometheus.query(metric), metric
        consumed = prometheus.query('sum(vanguard_events_consumed_total{outcome="applied"})')
        assert consumed and values(consumed)[0] > 0, "the projection has applied nothing yet"
        return True

    eventually(first_wave_scraped, timeout=60, interval=0.5, what="the first wave in Prometheus")
    drive(filing, stack.url(projection), wave=2)

    expressions = dashboard_queries(DASHBOARD)
    shown = [
        (panel["title"], panel["fieldConfig"]["defaults"]["unit"], target["expr"])
        for panel in panels(load_dashboard(DASHBOARD))
        for target in panel["targets"]
    ]
    assert [expr for _, _, expr in shown] == expressions and len(expressions) >= 15

    def every_panel_shows_plausible_data() -> Answers:
        answers = Answers({expr: prometheus.query(promql(expr)) for expr in expressions})  # each must succeed
        empty = [expr for expr, result in answers.items() if must_show_data(expr) and not result]
        assert not empty, f"no data yet for {empty}"
        for title, unit, expr in shown:
            if answers[expr]:
                # Failure panels and not-yet-instrumented ones may be empty; what they answer must make sense.
                check_plausible(title, unit, expr, answers[expr], active=not measures_failures(expr))
        check_figures(answers, {f"{stack.topic_prefix}.filing.{dept}" for dept in filing})
        return answers

    answers = eventually(every_panel_shows_plausible_data, timeout=60, interval=0.5, what="data in every panel")

    missing = sorted({m for expr in expressions if (m := uninstrumented(expr)) and not answers[expr]})
    if missing:
        pytest.xfail("; ".join(f"{m}: {NOT_YET_INSTRUMENTED[m]}" for m in missing))
