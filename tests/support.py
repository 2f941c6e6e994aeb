"""Helpers the integration and end-to-end tests share: tokens, HTTP calls, waiting."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from shared.auth import Principal, Role
from shared.auth.keys import SigningKey, jwks
from shared.auth.tokens import TokenIssuer

# The tests' signing key (made per test process, as the identity service holds its own): services
# under test trust its public half (TRUST, a JWKS) and nothing else.
KEY = SigningKey.generate("test-key")
TRUST = json.dumps(jwks(KEY))
ISSUER = TokenIssuer(KEY, ttl_seconds=12 * 3600)
T = TypeVar("T")


def token(role: Role, department: str | None = None, branch: str | None = None, subject: str | None = None) -> str:
    who = subject or f"{role.value}@{department}/{branch}"
    return ISSUER.mint(Principal(who, role, department, branch))


def headers(
    role: Role, department: str | None = None, branch: str | None = None, request_id: str | None = None
) -> dict[str, str]:
    out = {"Authorization": f"Bearer {token(role, department, branch)}"}
    out["Idempotency-Key"] = request_id or uuid.uuid4().hex
    return out


def eventually(probe: Callable[[], T], timeout: float = 60, interval: float = 0.05, what: str = "condition") -> T:
    """Poll until `probe` returns something truthy, or fail with its last value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except (httpx.HTTPError, AssertionError) as error:
            last = error
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"{what} not reached within {timeout}s; last: {last!r}")


def milestones(*dues: str) -> list[dict[str, str]]:
    return [{"title": f"节点{i}", "due": due, "deliverable": f"成果{i}"} for i, due in enumerate(dues, start=1)]


def project_body(topic_id: str, title: str = "船员注册不见面审批") -> dict[str, Any]:
    return {
        "topic_id": topic_id,
        "title": title,
        "goal": "网上申报、线上审批、快递送达",
        "targets": ["办理时限压缩至1个工作日", "群众满意率≥95%"],
        "milestones": milestones("2026-03-31", "2026-06-30", "2026-09-30"),
        "responsible": {"id": "m-001", "name": "李扬"},
    }


ORGANISATION = {
    "departments": [
        {
            "code": "fgw",
            "name": "市发改委",
            "branches": [
                {
                    "code": "fgw-b1",
                    "name": "第一党支部",
                    "secretary": {"id": "s-fgw-1", "name": "王强"},
                    "members": [{"id": "m-001", "name": "李扬"}, {"id": "m-002", "name": "刘莉"}],
                },
            ],
        },
        {
            "code": "zwb",
            "name": "市政务办",
            "branches": [
                {
                    "code": "zwb-b5",
                    "name": "第五党支部",
                    "secretary": {"id": "s-zwb-5", "name": "刘巍"},
                    "members": [{"id": "m-101", "name": "陈静"}],
                },
            ],
        },
    ]
}


def race(send: Callable[[int], httpx.Response], n: int = 2) -> list[httpx.Response]:
    """Call `send(0..n-1)` from n threads released at once; their responses, in order."""
    barrier = threading.Barrier(n)
    results: list[httpx.Response | BaseException] = [RuntimeError("not run")] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = send(i)
        except BaseException as error:  # surfaced below
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results  # type: ignore[return-value]
