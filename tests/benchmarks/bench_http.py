"""Filing commands per second over HTTP, against a bare FastAPI + asyncpg INSERT endpoint.

Run with `python -m tests.benchmarks.bench_http [--workers 1 2] [--duration 10] [--concurrency 32]`.

Everything runs on this machine, on loopback: an embedded PostgreSQL (durable: fsync on), the
filing API (`python -m services.filing`, uvicorn + uvloop + httptools, N workers) and a bare
FastAPI app served with the same uvicorn settings and worker count, whose one endpoint does one
asyncpg INSERT per request (pool of 10 without asyncpg's per-release reset query, like the filing
event store's). The broker runs (the stack creates the instance's topic) but the relay does not:
it is not on the command path. Besides rates it reports each process tree's CPU time per request
(from /proc), which stays meaningful when other work shares the two cores. The load generator is
a separate process: a fixed number of keep-alive HTTP/1.1 connections, each sending its next
request as soon as the previous one is answered (closed loop), for a fixed time after warm-up.
Its own ceiling is measured first against a trivial endpoint, for both clients it has (raw
asyncio streams and httpx.AsyncClient); the faster one drives the real measurements.

The same file is also the two helper processes: `... bench_http serve-bare` and `... bench_http load`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[2]
MODULE = "tests.benchmarks.bench_http"
GOAL_RATIO = 0.5
BARE_POOL_SIZE = 10  # the filing event store's default pool size (ServiceSettings.pool_size)
UPDATES_PER_CREATE = 3  # mixed workload: pose a topic, then revise it this many times
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------------------------
# processes: spawned in their own session, stopped by process group, always


class Processes:
    """Everything this benchmark started; `close()` stops it all (also on Ctrl-C / SIGTERM)."""

    def __init__(self) -> None:
        self._stops: list[Callable[[], None]] = []

    def add(self, stop: Callable[[], None]) -> None:
        self._stops.append(stop)

    def spawn(
        self, args: list[str], log: Path, env: dict[str, str] | None = None, stdout: int | None = None
    ) -> subprocess.Popen[bytes]:
        full_env = {**os.environ, **(env or {}), "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        log_file = open(log, "ab")  # noqa: SIM115 - owned by the child
        process = subprocess.Popen(
            [sys.executable, *args],
            env=full_env,
            cwd=ROOT,
            start_new_session=True,
            stdout=stdout if stdout is not None else log_file,
            stderr=log_file,
        )
        self.add(lambda: stop_process(process))
        return process

    def close(self) -> None:
        while self._stops:
            with contextlib.suppress(Exception):
                self._stops.pop()()


def stop_process(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """SIGTERM and SIGINT raise KeyboardInterrupt (SIGINT even when inherited as ignored, as in a
    background job), so `finally` blocks stop what we started."""

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def bench_folder(prefix: str) -> tempfile.TemporaryDirectory[str]:
    folder = tempfile.TemporaryDirectory(prefix=prefix, ignore_cleanup_errors=True)
    # PostgreSQL runs as another user when we are root: it must reach its folder.
    os.chmod(folder.name, 0o755)
    return folder


def wait_healthy(url: str, process: subprocess.Popen[bytes] | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise TimeoutError(f"{url} not healthy after {timeout}s")


# --------------------------------------------------------------------------------------------
# CPU accounting from /proc: who used the two cores during a measurement


def _proc_table() -> dict[int, tuple[int, float]]:
    """pid -> (ppid, cpu seconds) for every process we can read."""
    table: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        table[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK)
    return table


def tree_cpu(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each named process and its descendants (live ones)."""
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    out: dict[str, float] = {}
    for name, root in roots.items():
        total, stack = 0.0, [root]
        while stack:
            pid = stack.pop()
            if pid in table:
                total += table[pid][1]
                stack.extend(children.get(pid, []))
        out[name] = total
    return out


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return float(sum(values) - idle), float(sum(values))


def postmaster_pid(pg_folder: Path) -> int:
    return int((pg_folder / "data" / "postmaster.pid").read_text().split()[0])


# --------------------------------------------------------------------------------------------
# the bare endpoint (`serve-bare`)


async def _no_reset(conn: asyncpg.Connection) -> None:
    return None


def bare_app() -> Any:
    """FastAPI app: POST /bare does one asyncpg INSERT; GET /trivial does nothing."""
    from fastapi import FastAPI

    dsn = os.environ["BENCH_BARE_DSN"]

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        # No reset query on release (asyncpg's default costs a round trip): one statement per
        # request, as the filing event store's pool does too.
        app.state.pool = await asyncpg.create_pool(dsn, min_size=1, max_size=BARE_POOL_SIZE, reset=_no_reset)
        try:
            yield
        finally:
            await app.state.pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/bare", status_code=201)
    async def bare(body: dict[str, Any]) -> dict[str, Any]:
        async with app.state.pool.acquire() as conn:
            row_id = await conn.fetchval(
                "INSERT INTO bare_events (body) VALUES ($1::jsonb) RETURNING id", json.dumps(body, ensure_ascii=False)
            )
        return {"id": row_id}

    @app.get("/trivial")
    async def trivial() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def serve_bare(port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run(
        f"{MODULE}:bare_app",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )


async def create_bare_table(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS bare_events (id bigserial PRIMARY KEY, body jsonb NOT NULL)")
    finally:
        await conn.close()


# --------------------------------------------------------------------------------------------
# the load generator (`load`): a separate process


class RawHTTP:
    """One keep-alive HTTP/1.1 connection on asyncio streams: the cheapest client we can write."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        if body or method == "POST":
            head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        response = await self.reader.readuntil(b"\r\n\r\n")
        status = int(response[9:12])
        lower = response.lower()
        at = lower.find(b"\r\ncontent-length:")
        if at < 0:
            raise RuntimeError(f"no content-length in {response[:200]!r}")
        length = int(lower[at + 17 : lower.find(b"\r\n", at + 2)])
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()


class HttpxHTTP:
    """The same interface over a shared httpx.AsyncClient."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def open(self) -> None:
        return None

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
        if body or method == "POST":
            headers = {**headers, "Content-Type": "application/json"}
        response = await self.client.request(method, path, headers=headers, content=body or None)
        return response.status_code, response.content

    async def close(self) -> None:
        return None


def topic_body(n: int) -> bytes:
    return json.dumps(
        {"year": 2026, "direction": "business_environment", "title": f"优化审批服务 {n}", "description": "放管服"},
        ensure_ascii=False,
    ).encode()


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def run_load(cfg: dict[str, Any]) -> dict[str, Any]:
    """Closed loop: `concurrency` connections, each one request at a time, warm-up then measure."""
    from shared.auth import Role
    from tests.support import token

    url = urlparse(cfg["url"])
    host, port = url.hostname or "127.0.0.1", url.port or 80
    mode: str = cfg["mode"]
    auth = f"Bearer {token(Role.COMMITTEE, 'fgw')}"
    loop = asyncio.get_running_loop()
    started = loop.time()
    warm_end = started + cfg["warmup"]
    end = warm_end + cfg["duration"]
    latencies: list[float] = []
    counts = {"ok": 0, "errors": 0, "creates": 0, "updates": 0}
    error_samples: list[str] = []
    httpx_client = (
        httpx.AsyncClient(
            base_url=cfg["url"],
            timeout=30,
            limits=httpx.Limits(max_connections=cfg["concurrency"], max_keepalive_connections=cfg["concurrency"]),
        )
        if cfg["client"] == "httpx"
        else None
    )

    def hdrs() -> dict[str, str]:
        return {"Authorization": auth, "Idempotency-Key": uuid.uuid4().hex}

    async def connection(index: int) -> None:
        http = HttpxHTTP(httpx_client) if httpx_client else RawHTTP(host, port)
        await http.open()
        topic: str | None = None
        version, left, n = 0, 0, 0
        try:
            while (sent := loop.time()) < end:
                n += 1
                kind = "create"
                try:
                    if mode == "trivial":
                        status, body = await http.request("GET", "/trivial", {})
                    elif mode == "bare":
                        status, body = await http.request("POST", "/bare", hdrs(), topic_body(n))
                    elif mode == "create" or topic is None or left == 0:
                        status, body = await http.request("POST", "/topics", hdrs(), topic_body(n))
                        if mode == "mixed" and status == 201:
                            answer = json.loads(body)
                            topic, version, left = answer["id"], answer["version"], UPDATES_PER_CREATE
                    else:
                        kind = "update"
                        status, body = await http.request(
                            "POST",
                            f"/topics/{topic}/revise",
                            hdrs(),
                            json.dumps(
                                {"expected_version": version, "title": f"优化审批服务 {index}-{n}"}, ensure_ascii=False
                            ).encode(),
                        )
                        left -= 1
                        if status == 200:
                            version = json.loads(body)["version"]
                        else:
                            topic = None
                except (
                    OSError,
                    EOFError,
                    asyncio.LimitOverrunError,
                    RuntimeError,
                    ValueError,
                    httpx.HTTPError,
                ) as error:
                    status, body, topic = 599, repr(error).encode(), None
                    await http.close()
                    http = HttpxHTTP(httpx_client) if httpx_client else RawHTTP(host, port)
                    await http.open()
                done = loop.time()
                if warm_end <= sent and done <= end:
                    if 200 <= status < 300:
                        counts["ok"] += 1
                        counts["creates" if kind == "create" else "updates"] += 1
                        latencies.append(done - sent)
                    else:
                        counts["errors"] += 1
                        if len(error_samples) < 3:
                            error_samples.append(f"{status}: {body[:200]!r}")
        finally:
            await http.close()

    async def marks() -> tuple[Any, Any]:
        await asyncio.sleep(max(0.0, warm_end - loop.time()))
        usage_start = resource.getrusage(resource.RUSAGE_SELF)
        print("WARM", flush=True)
        await asyncio.sleep(max(0.0, end - loop.time()))
        usage_end = resource.getrusage(resource.RUSAGE_SELF)
        print("END", flush=True)
        return usage_start, usage_end

    mark_task = asyncio.create_task(marks())
    try:
        await asyncio.gather(*(connection(i) for i in range(cfg["concurrency"])))
    finally:
        if httpx_client is not None:
            await httpx_client.aclose()
    u0, u1 = await mark_task
    cpu = (u1.ru_utime + u1.ru_stime) - (u0.ru_utime + u0.ru_stime)
    return {
        "rate": counts["ok"] / cfg["duration"],
        **counts,
        "p50_ms": (percentile(latencies, 50) or 0) * 1000,
        "p99_ms": (percentile(latencies, 99) or 0) * 1000,
        "generator_cpu": cpu / cfg["duration"],
        "error_samples": error_samples,
    }


def load_main(cfg: dict[str, Any]) -> None:
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        result = runner.run(run_load(cfg))
    print("RESULT " + json.dumps(result), flush=True)


# --------------------------------------------------------------------------------------------
# the orchestrator


class Bench:
    def __init__(self, processes: Processes, folder: Path, cpu_roots: dict[str, int]) -> None:
        self.processes = processes
        self.folder = folder
        self.cpu_roots = cpu_roots

    def load(
        self, url: str, mode: str, *, client: str, concurrency: int, warmup: float, duration: float, server: str
    ) -> dict[str, Any]:
        """Run one generator process; CPU of each component over its measured window."""
        cfg = {
            "url": url,
            "mode": mode,
            "client": client,
            "concurrency": concurrency,
            "warmup": warmup,
            "duration": duration,
        }
        log = self.folder / "load.log"
        generator = self.processes.spawn(["-m", MODULE, "load", json.dumps(cfg)], log, stdout=subprocess.PIPE)
        roots = {**self.cpu_roots, "generator": generator.pid}
        before = after = None
        busy0 = busy1 = (0.0, 0.0)
        result: dict[str, Any] | None = None
        assert generator.stdout is not None
        for raw in generator.stdout:
            line = raw.decode().strip()
            if line == "WARM":
                before, busy0 = tree_cpu(roots), machine_busy()
            elif line == "END":
                after, busy1 = tree_cpu(roots), machine_busy()
            elif line.startswith("RESULT "):
                result = json.loads(line[7:])
        generator.wait(30)
        if result is None or before is None or after is None:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"the load generator failed:\n{tail}")
        cpu = {name: (after[name] - before[name]) / duration for name in roots if name != "generator"}
        cpu["generator"] = result["generator_cpu"]
        result["cpu"] = {k: v for k, v in cpu.items() if k in (server, "postgres", "generator")}
        result["machine_busy"] = (busy1[0] - busy0[0]) / max(1.0, busy1[1] - busy0[1]) * os.cpu_count()
        return result


def cpu_ms_per_request(r: dict[str, Any], who: str) -> float | None:
    return r["cpu"][who] * 1000 / r["rate"] if r["rate"] and who in r["cpu"] else None


def _show(label: str, r: dict[str, Any]) -> None:
    other = r["machine_busy"] - sum(r["cpu"].values())
    server = next(k for k in r["cpu"] if k not in ("postgres", "generator"))
    per = (
        f"  CPU/req: {server} {cpu_ms_per_request(r, server) or 0:.2f} ms, "
        f"postgres {cpu_ms_per_request(r, 'postgres') or 0:.2f} ms, "
        f"generator {cpu_ms_per_request(r, 'generator') or 0:.3f} ms"
    )
    cpu = " ".join(f"{k}={v:.2f}" for k, v in r["cpu"].items()) + f" other={max(0.0, other):.2f}"
    errors = f"  errors={r['errors']} {r['error_samples'][:1]}" if r["errors"] else ""
    print(
        f"  {label:<34} {r['rate']:>8,.0f} req/s  p50 {r['p50_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms  "
        f"cores: {cpu} (busy {r['machine_busy']:.2f}/{os.cpu_count()}){per}{errors}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument(
        "--client",
        choices=("auto", "raw", "httpx"),
        default="auto",
        help="auto: measure both clients' ceiling on a trivial endpoint, drive with the faster",
    )
    args = parser.parse_args([] if argv is None else argv)

    from shared.devstack.broker import start_broker
    from shared.devstack.ports import free_port
    from shared.devstack.postgres import start_postgres
    from shared.devstack.stack import Stack

    rows: list[dict] = []
    processes = Processes()
    with interruptible(), bench_folder("bench-http-") as name:
        folder = Path(name)
        try:
            print(
                f"bench_http: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} before start; "
                f"closed loop, {args.concurrency} connections, {args.warmup:g} s warm-up + "
                f"{args.duration:g} s measured per row",
                flush=True,
            )
            pg = start_postgres(folder / "pg", durable=True)
            processes.add(pg.stop)
            # The stack creates each instance's topic, so a broker runs; the relay does not (it is
            # not on the command path), so both servers do the same work: HTTP in, commit, HTTP out.
            broker = start_broker(folder / "broker")
            processes.add(broker.stop)
            stack = Stack(folder / "stack", pg.dsn, broker.bootstrap)
            processes.add(stack.stop)
            bare_dsn = stack.database("bare")
            asyncio.run(create_bare_table(bare_dsn))
            bench = Bench(processes, folder, {"postgres": postmaster_pid(folder / "pg")})
            common = {"concurrency": args.concurrency, "warmup": args.warmup, "duration": args.duration}
            client = args.client

            for workers in args.workers:
                bare_port = free_port()
                bare = processes.spawn(
                    ["-m", MODULE, "serve-bare", str(bare_port), str(workers)],
                    folder / f"bare-{workers}.log",
                    env={"BENCH_BARE_DSN": bare_dsn},
                )
                bare_url = f"http://127.0.0.1:{bare_port}"
                wait_healthy(f"{bare_url}/health", bare)
                api, _relay = stack.filing(f"w{workers}", "fgw", workers=workers)
                api.start()
                assert api.process is not None
                filing_url = stack.url(api)
                bench.cpu_roots.update({"bare": bare.pid, "filing": api.process.pid})
                print(f"\n{workers} uvicorn worker(s):", flush=True)

                if client == "auto":
                    # The generator's ceiling: a trivial GET on the bare server, both clients.
                    ceilings = {}
                    for client in ("raw", "httpx"):
                        r = bench.load(bare_url, "trivial", client=client, server="bare", **common)
                        _show(f"generator ceiling ({client}, GET /trivial)", r)
                        ceilings[client] = r
                        rows.append(
                            {
                                "measure": f"generator ceiling, {client} client, trivial GET, {workers}w (req/s)",
                                "filing": None,
                                "bare": r["rate"],
                                "ratio": None,
                                "generator_cores": r["cpu"]["generator"],
                                "generator_cpu_ms_per_req": cpu_ms_per_request(r, "generator"),
                            }
                        )
                    client = max(ceilings, key=lambda c: ceilings[c]["rate"])
                    print(f"  -> driving the measurements with the {client} client", flush=True)

                base = bench.load(bare_url, "bare", client=client, server="bare", **common)
                _show("bare FastAPI + asyncpg INSERT", base)
                for mode, label in (
                    ("create", "pose topic (creates)"),
                    ("mixed", f"mixed: 1 create + {UPDATES_PER_CREATE} revisions"),
                ):
                    r = bench.load(filing_url, mode, client=client, server="filing", **common)
                    _show(f"filing {label}", r)
                    rows.append(
                        {
                            "measure": f"filing {label}, {workers}w (req/s)",
                            "filing": r["rate"],
                            "bare": base["rate"],
                            "ratio": r["rate"] / base["rate"],
                            "filing_p99_ms": r["p99_ms"],
                            "bare_p99_ms": base["p99_ms"],
                            "filing_cpu_ms_per_req": cpu_ms_per_request(r, "filing"),
                            "bare_cpu_ms_per_req": cpu_ms_per_request(base, "bare"),
                            "other_load_cores": max(0.0, r["machine_busy"] - sum(r["cpu"].values())),
                            "goal": f">= {GOAL_RATIO}",
                            "met": r["rate"] / base["rate"] >= GOAL_RATIO and not r["errors"],
                        }
                    )
                stop_process(bare)
                api.stop()
        finally:
            processes.close()
    _print(rows)
    return rows


def _print(rows: list[dict]) -> None:
    width = max(len(r["measure"]) for r in rows)

    def cell(value: Any, fmt: str = ",.0f") -> str:
        if value is None:
            return "-"
        if isinstance(value, bool):
            return "yes" if value else "NO"
        return format(value, fmt) if isinstance(value, (int, float)) else str(value)

    print(
        f"\n{'measure':<{width}}  {'filing':>8}  {'bare':>8}  {'ratio':>6}  {'CPU ms/req filing':>17}  "
        f"{'bare':>5}  {'other load':>10}  goal"
    )
    for r in rows:
        goal = f"{r['goal']}: {cell(r['met'])}" if "goal" in r else ""
        print(
            f"{r['measure']:<{width}}  {cell(r['filing']):>8}  {cell(r['bare']):>8}  "
            f"{cell(r['ratio'], '.2f'):>6}  {cell(r.get('filing_cpu_ms_per_req'), '.2f'):>17}  "
            f"{cell(r.get('bare_cpu_ms_per_req'), '.2f'):>5}  {cell(r.get('other_load_cores'), '.2f'):>10}  {goal}"
        )
    print(
        "(rates in requests/s; CPU ms/req: the server process tree's CPU time per answered request; "
        "other load: cores busy with processes not started by this benchmark)"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve-bare":
        serve_bare(int(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "load":
        load_main(json.loads(sys.argv[2]))
    else:
        main(sys.argv[1:])
