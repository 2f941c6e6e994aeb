"""Tamper evidence on a running system: filing's relay process extends the hash chain over its store
and signs checkpoints, the projection keeps them; `./vanguard audit export` makes an archive that
verifies offline, `verify --live` holds every store to its checkpoints, and an edit made directly in
PostgreSQL (the append-only trigger switched off, as a superuser could) is caught at its place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from shared.audit import cli
from shared.audit.archive import read
from shared.audit.checkpoint import make_key
from shared.auth import Role
from shared.devstack.stack import Stack
from tests.support import ORGANISATION, eventually, headers, token

pytestmark = pytest.mark.e2e


def _audit(*args: object) -> int:
    """The command as an auditor runs it, with an auditor's token (as an identity service issues one)."""
    with_token = ["--token", token(Role.AUDITOR)] if args and args[0] in ("export", "verify") else []
    if args and args[0] == "verify" and "--live" not in args:
        with_token = []  # offline: nothing but the file
    return cli.main([str(a) for a in args] + with_token)


def _topic(url: str, n: int) -> dict[str, Any]:
    body = {"year": 2026, "direction": "work_upgrade", "title": f"课题{n}", "description": "x"}
    response = httpx.post(f"{url}/topics", headers=headers(Role.COMMITTEE, "fgw"), json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_checkpoints_are_signed_kept_exported_verified_and_an_edit_in_postgresql_is_caught(
    stack: Stack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fgw, relay = stack.filing("fgw", "fgw", audit_checkpoint_every=5, audit_checkpoint_seconds=0.3)
    projection = stack.projection()
    for process in (fgw, relay, projection):
        process.start()
    url, projection_url = stack.url(fgw), stack.url(projection)
    stack_file = tmp_path / "stack.json"
    stack.stack_file().write(stack_file)
    org = {"departments": [ORGANISATION["departments"][0]]}
    assert httpx.post(f"{url}/organisation", json=org, headers=headers(Role.ADMIN)).status_code == 200
    topics = [_topic(url, n) for n in range(12)]
    auditor = headers(Role.AUDITOR)

    # The store's rows are served to auditors only.
    assert httpx.get(f"{url}/audit/stored", headers=headers(Role.COMMITTEE, "fgw")).status_code == 403
    stored = httpx.get(f"{url}/audit/stored", headers=auditor, params={"limit": 10000}).json()
    assert stored["last"] == stored["events"][-1]["position"] and not stored["more"]
    # the last event of ours (the follower's own checkpoint events are never covered by a later one)
    last = max(e["position"] for e in stored["events"] if "AuditChain" not in e["topic"])
    assert last >= len(topics)

    def kept() -> list[dict[str, Any]]:
        rows = httpx.get(f"{projection_url}/audit/checkpoints", headers=auditor, params={"service": "filing"}).json()
        return rows if rows and rows[-1]["position"] >= last else []

    checkpoints = eventually(kept, timeout=60, what="the projection keeps a checkpoint covering every event")
    assert {c["instance"] for c in checkpoints} == {"fgw"}
    public = stack.stack_file().find("filing", "fgw").public_key
    assert {c["public_key"] for c in checkpoints} == {public}
    assert httpx.get(f"{projection_url}/audit/checkpoints", headers=headers(Role.COMMITTEE, "fgw")).status_code == 403

    # Export, then verify offline: with the trusted key, with none, with another one.
    archive = tmp_path / "fgw.vgaudit"
    assert _audit("export", "--service", "filing", "--instance", "fgw", "--out", archive, "--stack", stack_file) == 0
    exported = read(archive)
    assert len(exported.links) >= last and len(exported.checkpoints) >= 1
    assert exported.public_key == public
    capsys.readouterr()
    assert _audit("verify", archive, "--key", public) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("OK filing fgw")
    assert _audit("verify", archive, "--key", make_key()[1]) == 1
    assert "is not signed by the key" in capsys.readouterr().out

    # A file cut in the middle of a line, or a tail cut before the last checkpoint.
    lines = archive.read_text().splitlines(keepends=True)
    event_lines = [line for line in lines if line.startswith("e\t")]
    cut = tmp_path / "cut.vgaudit"
    cut.write_text("".join(lines[:3]) + lines[3][:20])
    assert _audit("verify", cut) == 2
    assert "line 4" in capsys.readouterr().err
    tail = tmp_path / "tail.vgaudit"
    tail.write_text("".join(lines[: 1 + len(event_lines) // 2]) + "".join(lines[1 + len(event_lines) :]))
    assert _audit("verify", tail, "--key", public) == 1
    assert "tail-cut" in capsys.readouterr().out

    # Bad input: an unknown instance, a folder, no such file, no stack file.
    assert _audit("export", "--service", "filing", "--instance", "nope", "--out", archive, "--stack", stack_file) == 2
    assert "no instance filing/nope" in capsys.readouterr().err
    assert _audit("verify", tmp_path) == 2
    assert "not a file" in capsys.readouterr().err
    assert _audit("verify", tmp_path / "missing.vgaudit") == 2
    assert _audit("verify", "--live", "--stack", tmp_path / "none.json") == 2
    assert "no stack file" in capsys.readouterr().err

    # Every running store holds to its checkpoints.
    assert _audit("verify", "--live", "--stack", stack_file) == 0
    out = capsys.readouterr().out
    assert "OK filing/fgw" in out and "OK projection/main" in out  # the assessment ledger's store too

    # An edit made directly in PostgreSQL, past the append-only trigger, is caught.
    dsn = stack.stack_file().find("filing", "fgw").dsn
    with psycopg.connect(dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE filing_events SET state = state WHERE notification_id = 3")
        conn.execute("SET session_replication_role = replica")  # a superuser switching triggers off
        position = conn.execute(
            "SELECT notification_id FROM filing_events WHERE topic LIKE '%Topic.Posed' ORDER BY notification_id LIMIT 1"
        ).fetchone()[0]
        edit = "convert_to(replace(convert_from(state, 'UTF8'), '课题0', '课题X'), 'UTF8')"
        changed = conn.execute(
            f"UPDATE filing_events SET state = {edit} WHERE notification_id = %s", (position,)
        ).rowcount
        assert changed == 1
    assert _audit("verify", "--live", "--stack", stack_file, "--service", "filing") == 1
    out = capsys.readouterr().out
    assert "FAILED filing/fgw" in out
    first = next(line.strip() for line in out.splitlines() if line.strip().startswith("FAIL position"))
    failed_at = int(first.split()[2].rstrip(":"))
    assert failed_at >= position and "checkpoint" in first, out

    # A tail cut away, its checkpoint events with it: the projection's copy of them still tells.
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        cut = conn.execute("DELETE FROM filing_events WHERE notification_id >= %s", (last,)).rowcount
        assert cut >= 1
    assert _audit("verify", "--live", "--stack", stack_file, "--service", "filing") == 1
    out = capsys.readouterr().out
    assert "tail-cut" in out and f"the events end at {last - 1}" in out, out
