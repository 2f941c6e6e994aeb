"""The progress bar of the auditors' long commands (export, verify --live, replay): on stderr, shown
on a terminal (or with VANGUARD_PROGRESS set), gone once done."""

from __future__ import annotations

import os

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


def progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal and not os.environ.get("VANGUARD_PROGRESS"),
    )
