"""A running system for end-to-end tests: real processes over the session's PostgreSQL and broker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.devstack.stack import Stack
from tests.support import KEY


@pytest.fixture
def stack(tmp_path: Path, pg_dsn: str, kafka_bootstrap: str, request: pytest.FixtureRequest) -> Iterator[Stack]:
    """A fresh stack whose topics and databases belong to this test alone."""
    prefix = f"t{abs(hash(request.node.nodeid)) % 10**8}"
    stack = Stack(
        tmp_path / "stack", pg_dsn, kafka_bootstrap, topic_prefix=prefix, database_prefix=f"{prefix}_", signing_key=KEY
    )
    try:
        yield stack
    finally:
        stack.stop()
        for process in stack.processes:
            log = process.log_path.read_text(errors="replace") if process.log_path.exists() else ""
            if "Traceback" in log:
                print(f"--- {process.name} log ---\n{log[-4000:]}")
