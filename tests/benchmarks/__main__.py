"""python -m tests.benchmarks [name ...]: run the benchmarks in turn, then one combined table.

Names: recorder, http, latency, scheduler, idle, assessment, audit, identity (or bench_recorder, ...). No name: all.
Each benchmark module exposes `main() -> list[dict]` and starts and stops its own servers.
"""

from __future__ import annotations

import importlib
import sys
import time
from typing import Any

BENCHMARKS = (
    "bench_recorder",
    "bench_http",
    "bench_latency",
    "bench_scheduler",
    "bench_idle",
    "bench_assessment",
    "bench_audit",
    "bench_identity",
)


def _resolve(names: list[str]) -> list[str]:
    chosen, unknown = [], []
    for name in names:
        module = name if name.startswith("bench_") else f"bench_{name}"
        (chosen if module in BENCHMARKS else unknown).append(module if module in BENCHMARKS else name)
    if unknown:
        known = ", ".join(f"{b} ({b.removeprefix('bench_')})" for b in BENCHMARKS)
        raise SystemExit(f"unknown benchmark(s): {', '.join(unknown)}; known: {known}")
    return chosen or list(BENCHMARKS)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def _table(name: str, rows: list[dict]) -> None:
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print(f"\n== {name} ==")
    print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(columns, widths, strict=True))))
    for r in cells:
        print("  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths, strict=True))))


def main(argv: list[str]) -> int:
    chosen = _resolve(argv)
    results: dict[str, list[dict] | str] = {}
    for module in chosen:
        print(f"\n##### {module} #####", flush=True)
        started = time.monotonic()
        try:
            results[module] = importlib.import_module(f"tests.benchmarks.{module}").main()
        except KeyboardInterrupt:
            results[module] = "interrupted"
            break
        except Exception as error:  # the others still run; the table says what failed
            results[module] = f"failed: {error!r}"
        print(f"({module} took {time.monotonic() - started:.0f} s)", flush=True)

    print("\n\n########## combined results ##########")
    for module, rows in results.items():
        if isinstance(rows, str) or not rows:
            print(f"\n== {module} ==\n{rows or 'no rows'}")
        else:
            _table(module, rows)
    return 0 if all(not isinstance(r, str) for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
