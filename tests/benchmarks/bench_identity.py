"""The identity service's two costs (issue 13): signing in, with argon2id at the chosen cost, and
verifying an access token on every request of every service, with Ed25519 (shared.auth.tokens
.TokenVerifier) against the usual baseline, an HS256 PyJWT token checked with a shared secret.

Run with `python -m tests.benchmarks.bench_identity [--duration 10] [--clients 8]`.

Sign-in: an embedded PostgreSQL (durable) and the identity service as its own process
(`python -m services.identity`, uvicorn + uvloop, one worker, its default argon2 cost); `clients`
threads of this process sign the registry's members in over loopback HTTP, each as soon as its last
answer came (closed loop), for `duration` seconds after a warm-up. Each sign-in is one argon2
verification, two events recorded (the account's SignedIn) and a refresh token stored. Also
reported: one argon2id verification alone, at the chosen cost and at RFC 9106's (64 MiB, 3 passes,
4 lanes), one thread and all CPUs.

Verification: in this process, one thread, tokens as the identity service mints them. "First
sight" is a token the verifier has not seen (signature and claims checked), "again" the same token
once more (answered from its cache, as for a client's second request).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import jwt
import psycopg
from argon2 import PasswordHasher

from services.identity.config import IdentitySettings
from shared.auth import Principal, Role
from shared.auth.keys import KeySet, SigningKey, jwks
from shared.auth.tokens import AUDIENCE, ISSUER, TokenIssuer, TokenVerifier, Trust
from shared.devstack.ports import free_port
from shared.devstack.postgres import start_postgres

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
TOKENS = 4000  # per round: fewer than TokenVerifier's cache, which a fresh verifier starts without
ROUNDS = 5
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- argon2 alone ------------------------------------------------------------------------------------


def _argon2_rows(seconds: float = 3.0) -> list[dict[str, Any]]:
    chosen = IdentitySettings()
    costs = {
        f"chosen: m={chosen.argon2_memory_kib // 1024} MiB t={chosen.argon2_time_cost} p={chosen.argon2_parallelism}": (
            chosen.argon2_time_cost,
            chosen.argon2_memory_kib,
            chosen.argon2_parallelism,
        ),
        "RFC 9106: m=64 MiB t=3 p=4": (3, 64 * 1024, 4),
    }
    rows = []
    cpus = os.cpu_count() or 1
    for label, (time_cost, memory, lanes) in costs.items():
        hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory, parallelism=lanes)
        hashed = hasher.hash(PASSWORD)
        single = _timed(lambda h=hasher, x=hashed: h.verify(x, PASSWORD), 10)
        with ThreadPoolExecutor(cpus) as pool:
            done, deadline = 0, time.monotonic() + seconds
            started = time.perf_counter()
            while time.monotonic() < deadline:
                list(pool.map(lambda _, h=hasher, x=hashed: h.verify(x, PASSWORD), range(cpus)))
                done += cpus
            rate = done / (time.perf_counter() - started)
        rows.append(
            {
                "name": f"argon2id verify, {label}",
                "ms each": single * 1000,
                "per second": rate,
                "note": f"{cpus} threads on {cpus} CPUs",
            }
        )
    return rows


def _timed(fn: Callable[[], object], n: int) -> float:
    """Median seconds per call over `ROUNDS` rounds of `n` calls."""
    rounds = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(n):
            fn()
        rounds.append((time.perf_counter() - started) / n)
    return statistics.median(rounds)


# -- sign-in over HTTP -------------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def _sign_in_rows(duration: float, clients: int) -> list[dict[str, Any]]:
    key = SigningKey.generate("bench-admin")
    admin = {"Authorization": f"Bearer {TokenIssuer(key).mint(Principal('bench', Role.ADMIN), 3600)}"}
    members = [{"id": f"m-{i:03d}", "name": f"党员{i}"} for i in range(clients)]
    registry = {
        "departments": [
            {
                "code": "fgw",
                "name": "市发改委",
                "branches": [
                    {
                        "code": "fgw-b1",
                        "name": "第一党支部",
                        "secretary": {"id": "s-fgw-1", "name": "王强"},
                        "members": members,
                    }
                ],
            }
        ]
    }
    with tempfile.TemporaryDirectory(prefix="bench-identity-") as folder:
        os.chmod(folder, 0o755)
        cluster = start_postgres(Path(folder) / "pg", durable=True)
        server: subprocess.Popen[bytes] | None = None
        try:
            with psycopg.connect(cluster.database_dsn("postgres"), autocommit=True) as conn:
                conn.execute("CREATE DATABASE identity")
            port = free_port()
            env = {
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "VANGUARD_DATABASE_DSN": cluster.database_dsn("identity"),
                "VANGUARD_PORT": str(port),
                "VANGUARD_TOKEN_KEYS": json.dumps(jwks(key)),
            }
            for name in ("VANGUARD_IDENTITY_KEY", "VANGUARD_IDENTITY_ADMINS"):
                env.pop(name, None)
            log = open(Path(folder) / "identity.log", "ab")  # noqa: SIM115 - the child's
            server = subprocess.Popen(
                [sys.executable, "-m", "services.identity"], env=env, cwd=ROOT, stdout=log, stderr=log
            )
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url, server)
            with httpx.Client(base_url=url, timeout=30) as client:
                created = client.post("/accounts/import", json=registry, headers=admin)
                created.raise_for_status()
                for account in created.json()["created"]:
                    body = {
                        "account": account["account"],
                        "password": account["one_time_code"],
                        "new_password": PASSWORD,
                    }
                    client.post("/sign-in", json=body).raise_for_status()
            _load(url, [m["id"] for m in members], 2.0)  # warm-up
            cpu_before = _cpu_seconds(server.pid)
            latencies, failures, elapsed = _load(url, [m["id"] for m in members], duration)
            cpu = _cpu_seconds(server.pid) - cpu_before
        finally:
            if server is not None:
                server.terminate()
                server.wait(15)
            cluster.stop()
    settings = IdentitySettings()
    cost = f"m={settings.argon2_memory_kib // 1024} MiB t={settings.argon2_time_cost} p={settings.argon2_parallelism}"
    latencies.sort()
    return [
        {
            "name": f"sign-in over HTTP, argon2id {cost}, {clients} clients",
            "ms each": statistics.median(latencies) * 1000,
            "p95 ms": latencies[int(len(latencies) * 0.95)] * 1000,
            "per second": len(latencies) / elapsed,
            "server CPU ms each": cpu / len(latencies) * 1000,
            "failed": failures,
        }
    ]


def _wait_healthy(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the identity service exited with {server.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError("the identity service did not start")


def _load(url: str, accounts: list[str], duration: float) -> tuple[list[float], int, float]:
    """Each account signs in over and over from its own thread; latencies of the good answers."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    stop = time.monotonic() + duration

    def client(account: str) -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            while time.monotonic() < stop:
                started = time.perf_counter()
                answer = http.post("/sign-in", json={"account": account, "password": PASSWORD})
                took = time.perf_counter() - started
                with lock:
                    if answer.status_code == 200:
                        latencies.append(took)
                    else:
                        failures[0] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(a,)) for a in accounts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures[0], time.perf_counter() - started


# -- token verification ------------------------------------------------------------------------------


def _verification_rows() -> list[dict[str, Any]]:
    key = SigningKey.generate()
    keys = json.dumps(jwks(key))
    issuer = TokenIssuer(key, ttl_seconds=300)
    who = Principal("m-001", Role.MEMBER, "fgw", "fgw-b1", "李扬")
    secret = secrets.token_bytes(32)
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": who.subject,
        "role": "member",
        "department": "fgw",
        "branch": "fgw-b1",
    }

    def fresh_ed25519() -> float:
        tokens = [issuer.mint(who, 300, jti=secrets.token_hex(8)) for _ in range(TOKENS)]
        verifier = TokenVerifier(Trust(ISSUER, KeySet(keys)))
        started = time.perf_counter()
        for token in tokens:
            verifier.verify(token)
        return (time.perf_counter() - started) / TOKENS

    def pyjwt_ed25519() -> float:
        tokens = [issuer.mint(who, 300, jti=secrets.token_hex(8)) for _ in range(TOKENS)]
        public = key.private.public_key()
        started = time.perf_counter()
        for token in tokens:
            jwt.decode(token, public, algorithms=["EdDSA"], audience=AUDIENCE, issuer=ISSUER)
        return (time.perf_counter() - started) / TOKENS

    def hs256() -> float:
        now = int(time.time())
        tokens = [
            jwt.encode({**claims, "iat": now, "exp": now + 300, "jti": secrets.token_hex(8)}, secret, "HS256")
            for _ in range(TOKENS)
        ]
        started = time.perf_counter()
        for token in tokens:
            jwt.decode(token, secret, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER)
        return (time.perf_counter() - started) / TOKENS

    def cached() -> float:
        verifier = TokenVerifier(Trust(ISSUER, KeySet(keys)))
        token = issuer.mint(who)
        verifier.verify(token)
        started = time.perf_counter()
        for _ in range(TOKENS):
            verifier.verify(token)
        return (time.perf_counter() - started) / TOKENS

    measured = {}
    for name, fn in (("hs256", hs256), ("ed", fresh_ed25519), ("pyjwt", pyjwt_ed25519), ("cached", cached)):
        fn()  # warm-up
        measured[name] = statistics.median(fn() for _ in range(ROUNDS))
    base = measured["hs256"]
    rows = [
        ("token check, HS256 PyJWT with a secret (baseline)", "hs256", "jwt.decode: signature, exp, aud, iss"),
        ("token check, Ed25519 TokenVerifier, first sight", "ed", "signature, every claim, the principal"),
        ("token check, Ed25519 PyJWT decode alone", "pyjwt", "the signature's share of the line above"),
        ("token check, Ed25519 TokenVerifier, again", "cached", "the same token on a client's next request"),
    ]
    return [
        {
            "name": label,
            "µs each": measured[key_] * 1e6,
            "per second": 1 / measured[key_],
            "vs HS256": measured[key_] / base,
            "note": note,
        }
        for label, key_, note in rows
    ]


def main(duration: float = 10.0, clients: int = 8) -> list[dict[str, Any]]:
    rows = _verification_rows()
    rows += _argon2_rows()
    rows += _sign_in_rows(duration, clients)
    for row in rows:
        figures = ", ".join(
            f"{k} {v:,.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items() if k != "name"
        )
        print(f"{row['name']}: {figures}")
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.bench_identity")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of sign-ins measured (default 10)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients signing in (default 8)")
    args = parser.parse_args()
    main(args.duration, args.clients)
