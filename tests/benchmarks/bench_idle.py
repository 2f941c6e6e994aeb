"""What an idle `./vanguard up` costs: CPU per process while nothing is sent.

Runs the real `./vanguard up` (embedded PostgreSQL and broker, the sample registry) in a folder of
its own and on free ports, waits for its table and then SETTLE seconds more, and reads every
process's CPU time from /proc over WINDOW seconds. A process that waits should cost nothing: the
goal is under 0.1 of a core for the whole stack. The baseline in the same run is an idle Python
process polling nothing (the floor of measuring), so the ratio does not depend on the machine.

VANGUARD_BENCH_ROOT runs another checkout's `./vanguard up` (to measure a before and after).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(os.environ.get("VANGUARD_BENCH_ROOT") or Path(__file__).resolve().parents[2])
SETTLE = float(os.environ.get("VANGUARD_BENCH_IDLE_SETTLE", "20"))  # as issue 10 measured: 20 s after the table
WINDOW = float(os.environ.get("VANGUARD_BENCH_IDLE_WINDOW", "20"))
TICKS = os.sysconf("SC_CLK_TCK")


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children[ppid].append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def started_in(folder: Path) -> list[int]:
    """Processes whose command line names the folder (the embedded PostgreSQL daemonises itself)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if str(folder).encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.append(int(entry))
            except OSError:
                continue
    return found


def free_base(needed: tuple[int, ...]) -> int:
    """A base port whose every offset `up` will use is free now."""
    for base in range(20100, 60000, 1000):
        try:
            for offset in needed:
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        return base
    raise RuntimeError("no free block of ports")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def name_of(pid: int) -> str:
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    words = [a.decode(errors="replace") for a in argv if a]
    if "-m" in words:
        module = words[words.index("-m") + 1]
        env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        instance = next((e.split(b"=", 1)[1].decode() for e in env if e.startswith(b"VANGUARD_INSTANCE=")), "")
        return f"{module.removeprefix('services.')} {instance}".strip()
    program = Path(words[0]).name if words else "?"
    return "postgres" if program.startswith("postgres") else program


def measure(pids: list[int], seconds: float) -> dict[str, float]:
    before = {}
    for pid in pids:
        try:
            before[pid] = cpu_seconds(pid)
        except OSError:
            continue
    time.sleep(seconds)
    per: dict[str, float] = defaultdict(float)
    for pid, start in before.items():
        try:
            per[name_of(pid)] += (cpu_seconds(pid) - start) / seconds
        except OSError:
            continue
    return dict(per)


def floor(seconds: float) -> float:
    """An idle Python process, measured the same way."""
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    try:
        return sum(measure([idle.pid], seconds).values())
    finally:
        idle.kill()


def main() -> list[dict[str, Any]]:
    data = Path(tempfile.mkdtemp(prefix="vanguard-idle-"))
    base = free_base((*range(1, 21), *range(101, 121), 201, 300, 401))
    up = subprocess.Popen(
        ["./vanguard", "up", "--data", str(data), "--base-port", str(base)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert up.stdout is not None
        seen = []
        for line in up.stdout:
            seen.append(line)
            if re.search(r"Tokens:", line):
                break
        else:
            raise RuntimeError("up ended before it was up:\n" + "".join(seen[-30:]))
        print(f"up is up; settling {SETTLE:.0f} s, then measuring {WINDOW:.0f} s", flush=True)
        time.sleep(SETTLE)
        pids = set(descendants(up.pid))
        for daemon in started_in(data):
            pids.update(descendants(daemon))
        per = measure(sorted(pids), WINDOW)
    finally:
        os.killpg(up.pid, signal.SIGINT)
        try:
            up.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(up.pid, signal.SIGKILL)
    baseline = floor(5)
    total = sum(per.values())
    rows: list[dict[str, Any]] = [
        {"process": name, "cores": f"{cores:.3f}"} for name, cores in sorted(per.items(), key=lambda kv: -kv[1])
    ]
    rows.append({"process": "TOTAL (goal < 0.1)", "cores": f"{total:.3f}", "met": total < 0.1})
    rows.append({"process": "baseline: an idle python process", "cores": f"{baseline:.4f}"})
    return rows


if __name__ == "__main__":
    for row in main():
        print(row)
