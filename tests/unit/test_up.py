"""What ./vanguard up prints and leaves behind."""

from __future__ import annotations

import subprocess
from pathlib import Path

from rich.console import Console

from shared.devstack.up import prepare_data_folder, urls_table

DSN = "postgresql://postgres@127.0.0.1:54321"


def test_a_dsn_is_shown_whole_even_in_a_narrow_terminal() -> None:
    console = Console(width=60, record=True)
    console.print(urls_table([("PostgreSQL", DSN), ("Kafka", "127.0.0.1:9092")]))
    shown = "".join(line.strip("│ ") for line in console.export_text().splitlines())
    assert DSN in shown.replace(" ", "")
    assert "…" not in console.export_text()


def test_any_data_folder_is_kept_out_of_git(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    data = prepare_data_folder(tmp_path / "rehearsal")
    (data / "postgres.log").write_text("x")
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=tmp_path, capture_output=True, text=True
    )
    assert status.stdout == ""
