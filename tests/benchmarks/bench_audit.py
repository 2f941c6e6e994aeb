"""The auditors' offline verification: events/s of `./vanguard audit verify` over archives of 100k
and 1M events (checkpoints every 1,000), as the command runs it, in a process of its own; beside it,
the same file only read and split into fields (the least any verifier must do). Goal: ≥ 100k
events/s. Then recording with the chain follower against without it (bench_chain, goal ≥ 0.95) and
replay from the stores against reading them raw (bench_replay, goal ≥ 0.5)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from shared.audit.archive import Archive, links_of, write
from shared.audit.chain import StoredEvent
from shared.audit.checkpoint import Checkpoint, make_key, sign

ROOT = Path(__file__).resolve().parents[2]
SIZES = (100_000, 1_000_000)
STATE = (
    '{"changes": {"title": "优化审批服务", "goal": "办理时限压缩至1个工作日"}, '
    '"actor": {"id": "s-fgw-1", "role": "secretary", "department": "fgw", "branch": "fgw-b1"}, '
    '"request_id": "4b0c7e1a9d2f4c3b8a6e5d4c3b2a1f0e", "at": "2026-06-30T10:00:00+08:00"}'
).encode()


def _archive(path: Path, size: int, private: str, public: str) -> None:
    aggregates = [str(uuid.uuid4()) for _ in range(1000)]
    events = [
        StoredEvent(n, aggregates[n % 1000], n // 1000 + 1, "services.filing.domain:Project.Revised", STATE)
        for n in range(1, size + 1)
    ]
    links = links_of(events)
    checkpoints = [
        sign(Checkpoint("filing", "fgw", lk.event.position, lk.head, "2026-12-02T10:00:00+08:00"), private)
        for lk in links[999::1000]
    ]
    with path.open("w", encoding="utf-8") as out:
        write(out, Archive("filing", "fgw", public, "2026-12-02T12:00:00+08:00", links, checkpoints))


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    took = time.perf_counter() - started
    assert done.returncode == 0, done.stdout + done.stderr
    return took


def main() -> list[dict[str, Any]]:
    private, public = make_key()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="vanguard-audit-") as folder:
        for size in SIZES:
            path = Path(folder) / f"{size}.vgaudit"
            _archive(path, size, private, public)
            parse = "import sys; [line.split('\t') for line in open(sys.argv[1], encoding='utf-8')]"
            baseline = min(_timed([sys.executable, "-c", parse, str(path)]) for _ in range(2))
            verify = [sys.executable, "-m", "shared.audit.cli", "verify", str(path), "--key", public]
            took = min(_timed(verify) for _ in range(2))
            rate = size / took
            print(f"{size:,} events ({path.stat().st_size / 1e6:,.0f} MB): verified in {took:.2f} s", flush=True)
            rows.append(
                {
                    "name": f"offline verification, {size:,} events",
                    "events/s": rate,
                    "seconds": took,
                    "only reading and splitting the lines, s": baseline,
                    "goal": "≥ 100,000/s",
                    "met": rate >= 100_000,
                }
            )
    from tests.benchmarks import bench_chain, bench_replay

    rows += bench_chain.main()
    rows += bench_replay.main()  # 100k; VANGUARD_BENCH_REPLAY_1M=1 adds 1M (about 10 minutes)
    return rows
