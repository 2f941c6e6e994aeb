"""Session fixtures: a real PostgreSQL cluster and a real Kafka-protocol broker.

Both are started once per test session on loopback ports (embedded defaults), or taken from
VANGUARD_TEST_PG_DSN / VANGUARD_TEST_KAFKA when set. Tests isolate themselves by database and
by topic name, never by restarting servers (except the broker-loss fault test, which owns one).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from shared.devstack.broker import EmbeddedBroker, start_broker
from shared.devstack.postgres import start_postgres


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("vanguard")


@pytest.fixture(scope="session")
def pg_dsn(session_dir: Path) -> Iterator[str]:
    """DSN of the server (no database part)."""
    external = os.environ.get("VANGUARD_TEST_PG_DSN")
    if external:
        yield external.rstrip("/")
        return
    cluster = start_postgres(session_dir / "postgres", durable=False)
    try:
        yield cluster.dsn
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def new_database(pg_dsn: str) -> Callable[[str], str]:
    """Create a fresh, empty database and return its DSN."""

    def create(prefix: str = "t") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(f"{pg_dsn}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{pg_dsn}/{name}"

    return create


@pytest.fixture(scope="session")
def kafka_bootstrap(session_dir: Path) -> Iterator[str]:
    external = os.environ.get("VANGUARD_TEST_KAFKA")
    if external:
        yield external
        return
    broker = start_broker(session_dir / "broker")
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """A broker of this test's own, for tests that restart it."""
    broker = start_broker(tmp_path / "broker")
    try:
        yield broker
    finally:
        broker.stop()
