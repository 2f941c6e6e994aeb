"""`./vanguard audit replay` on a running stack: filing and tasking (each signing checkpoints of its
chain) and a projection fed through the broker. Once the projection has caught up, a replay from the
stores, not from Kafka, equals it read model by read model; a second replay has the same checksums."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from services.projection.replay_sources import SERVICES
from shared.auth import Role
from shared.devstack.stack import Stack
from tests.support import ORGANISATION, eventually, headers, project_body, token

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SIGN_SOON = {"audit_checkpoint_seconds": 0.5}  # every store's chain signed soon after its last event


def secretary() -> dict[str, str]:
    return headers(Role.SECRETARY, "fgw", "fgw-b1")


def member() -> dict[str, str]:
    return {**secretary(), "Authorization": f"Bearer {token(Role.MEMBER, 'fgw', 'fgw-b1', subject='m-001')}"}


def ok(response: httpx.Response) -> dict[str, object]:
    assert response.status_code in (200, 201), response.text
    return response.json()  # type: ignore[no-any-return]


def a_project_through_tasking(f: str, t: str, n: int) -> None:
    topic = ok(
        httpx.post(
            f"{f}/topics",
            headers=headers(Role.COMMITTEE, "fgw"),
            json={"year": 2026, "direction": "high_quality_development", "title": f"课题{n}"},
        )
    )
    pid = ok(httpx.post(f"{f}/projects", headers=secretary(), json=project_body(str(topic["id"]), f"项目{n}")))["id"]
    ok(httpx.post(f"{f}/projects/{pid}/submit", headers=secretary(), json={"expected_version": 1}))
    ok(httpx.post(f"{f}/projects/{pid}/approve", headers=headers(Role.COMMITTEE, "fgw"), json={"expected_version": 2}))
    task_body = {"title": "走访企业", "due": "2026-03-15", "milestone_id": "m1", "assignee": "m-001"}
    task = eventually(
        lambda: ok(httpx.post(f"{t}/projects/{pid}/tasks", headers=secretary(), json=task_body)),
        what="the task board opened from filing's approval",
    )
    ok(httpx.post(f"{t}/tasks/{task['id']}/progress", headers=member(), json={"expected_version": 1, "percent": 60}))
    ok(httpx.post(f"{t}/tasks/{task['id']}/complete", headers=member(), json={"expected_version": 2}))
    board = ok(httpx.get(f"{t}/projects/{pid}/board", headers=secretary()))
    met = {"expected_version": board["version"], "deliverable": {"title": "走访报告"}, "met_on": "2026-03-20"}
    ok(httpx.post(f"{t}/projects/{pid}/milestones/m1/met", headers=secretary(), json=met))


def count(dsn: str, table: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(row[0]) if row else 0


def settled(stack: Stack, quiet: float = 2.5) -> int:
    """Wait until the projection holds every stored event and nothing new came for `quiet` seconds."""
    stores = stack.stack_file()
    sources = [i for i in stores.instances if i.service in SERVICES]
    seen, since = -1, time.monotonic()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        stored = sum(count(i.dsn, f"{i.service}_events") for i in sources)
        applied = count(stores.projection_dsn, "audit_trail")
        if stored == applied and stored == seen:
            if time.monotonic() - since >= quiet:
                return stored
        else:
            seen, since = (stored if stored == applied else -1), time.monotonic()
        time.sleep(0.2)
    raise AssertionError(f"the projection did not catch up: {applied} of {stored} events applied")


def replay(stack_file: Path, into: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "services.projection.replay", "--stack", str(stack_file), "--into", into],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def checksums(printed: str) -> dict[str, tuple[str, str]]:
    found = re.findall(r"^(\w+)\s+[\d,]+\s+[\d,]+\s+(\w+)\s+(\w+)\s+yes$", printed, re.M)
    return {table: (live, replayed) for table, live, replayed in found}


def test_a_replay_from_the_stores_equals_the_projection_fed_by_the_broker_and_replays_agree(
    stack: Stack, tmp_path: Path
) -> None:
    processes = [
        *stack.filing("fgw", "fgw", **SIGN_SOON),
        *stack.tasking("fgw", "fgw", **SIGN_SOON),
        stack.projection(),
    ]
    for process in processes:
        process.start(wait=False)
    for process in processes:
        process.wait_ready()
    f, t = stack.url(processes[0]), stack.url(processes[2])
    org = {"departments": [ORGANISATION["departments"][0]]}
    ok(httpx.post(f"{f}/organisation", json=org, headers=headers(Role.ADMIN)))
    for n in range(2):
        a_project_through_tasking(f, t, n)
    events = settled(stack)
    stack_file = tmp_path / "stack.json"
    stack.stack_file().write(stack_file)
    prefix = stack.database_prefix

    first = replay(stack_file, f"{prefix}replay_1", VANGUARD_PROGRESS="1")
    assert f"replayed {events:,} events from 2 store(s)" in first
    assert "all 11 read models are equal" in first
    second = replay(stack_file, f"{prefix}replay_2")
    assert "all 11 read models are equal" in second
    assert checksums(first) == checksums(second) and len(checksums(first)) == 11
    with psycopg.connect(stack.stack_file().projection_dsn) as conn:
        kinds = {r[0] for r in conn.execute("SELECT DISTINCT type FROM audit_trail").fetchall()}
    assert {"tasking.TaskBoard.MilestoneMet", "filing.Project.Approved"} <= kinds
