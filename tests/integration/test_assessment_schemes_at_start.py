"""The projection refuses to start on a scheme file it cannot trust: a malformed one (naming the file
and the line) and a changed one whose version its event store already knows (naming both)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.projection.assessment.scheme import SCHEMES_DIR, SchemeError
from services.projection.config import ProjectionSettings
from services.projection.main import create_app
from tests.support import TRUST

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def schemes(tmp_path: Path, edit: tuple[str, str] | None = None) -> Path:
    folder = tmp_path / f"schemes-{uuid.uuid4().hex[:6]}"
    shutil.copytree(SCHEMES_DIR, folder)
    if edit is not None:
        path = folder / "2026-v1.yaml"
        text = path.read_text(encoding="utf-8")
        assert edit[0] in text
        path.write_text(text.replace(edit[0], edit[1]), encoding="utf-8")
    return folder


def settings(dsn: str, kafka: str, folder: Path, **more: str) -> ProjectionSettings:
    return ProjectionSettings(
        database_dsn=dsn,
        kafka_bootstrap=kafka,
        topic_prefix=f"t{uuid.uuid4().hex[:8]}",
        token_keys=TRUST,
        assessment_schemes=str(folder),
        **more,
    )


def test_a_malformed_scheme_stops_the_process_naming_the_file_and_line(
    tmp_path: Path, new_database: Callable[[str], str], kafka_bootstrap: str
) -> None:
    folder = schemes(tmp_path, ("points_by: {yellow: -1, red: -2}", "points_by: {yellow: -1, red: lots}"))
    env = {
        **os.environ,
        "VANGUARD_DATABASE_DSN": new_database("projection"),
        "VANGUARD_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "VANGUARD_PORT": "0",
        "VANGUARD_ASSESSMENT_SCHEMES": str(folder),
        "VANGUARD_TOKEN_KEYS": TRUST,
    }
    done = subprocess.run(
        [sys.executable, "-m", "services.projection"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    line = next(n for n, text in enumerate((folder / "2026-v1.yaml").read_text().splitlines(), 1) if "lots" in text)
    assert f"{folder / '2026-v1.yaml'}, line {line}: branch.lines[6].points_by.red: expected a number" in done.stderr


def test_an_unknown_current_scheme_is_refused(tmp_path: Path, new_database: Callable[[str], str], kafka_bootstrap: str):
    with pytest.raises(SchemeError, match="VANGUARD_ASSESSMENT_SCHEME is 2027-v1, which is none of"):
        create_app(settings(new_database("projection"), kafka_bootstrap, SCHEMES_DIR, assessment_scheme="2027-v1"))


def test_a_known_version_changed_in_its_file_is_refused_at_start(
    tmp_path: Path, new_database: Callable[[str], str], kafka_bootstrap: str
) -> None:
    dsn = new_database("projection")
    with TestClient(create_app(settings(dsn, kafka_bootstrap, schemes(tmp_path)))) as client:
        assert client.get("/health").status_code == 200
    changed = schemes(tmp_path, ("max_deduct: 10", "max_deduct: 12"))
    with pytest.raises(SchemeError) as refused, TestClient(create_app(settings(dsn, kafka_bootstrap, changed))):
        pass
    assert str(changed / "2026-v1.yaml") in str(refused.value)
    assert "version 2026-v1 is already known with different content" in str(refused.value)
    # The same content again (a copy, laid out differently) is the same version: accepted.
    relaid = schemes(tmp_path, ("max_deduct: 10", "max_deduct:   10   # the same"))
    with TestClient(create_app(settings(dsn, kafka_bootstrap, relaid))) as client:
        assert client.get("/assessment/schemes", headers={}).status_code == 401
