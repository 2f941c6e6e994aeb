"""The public's feedback limit, on the acceptance service as it runs (uvicorn, started by shared.serve):
X-Forwarded-For is believed only from the proxies named in VANGUARD_TRUSTED_PROXIES, and only
feedback that was accepted counts against an address."""

from __future__ import annotations

import uuid

import httpx
import pytest

from services.acceptance.config import AcceptanceSettings
from services.acceptance.main import build_application
from shared.devstack.stack import Stack
from tests.acceptance_seed import in_notice

pytestmark = pytest.mark.e2e

LIMIT = 2


def start(stack: Stack, **settings: object) -> tuple[str, str]:
    """An acceptance API (no relay, no consumer) with a project in public notice: its URL and the project."""
    api, _, _ = stack.acceptance(feedback_rate_limit=LIMIT, **settings)
    app = build_application(AcceptanceSettings(database_dsn=api.env["VANGUARD_DATABASE_DSN"]))
    try:
        pid = in_notice(app)
    finally:
        app.close()
    api.start()
    return stack.url(api), pid


def feedback(url: str, pid: str, address: str) -> httpx.Response:
    return httpx.post(
        f"{url}/notices/{pid}/feedback", json={"kind": "support", "text": "支持"}, headers={"X-Forwarded-For": address}
    )


def too_many(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= 60
    assert response.json()["detail"] == (
        f"too much feedback from your address: at most {LIMIT} in 60 seconds; try again in {wait} seconds"
    )


def test_a_forged_x_forwarded_for_from_an_untrusted_peer_does_not_escape_the_limit(stack: Stack) -> None:
    url, pid = start(stack)  # no trusted proxies: the default
    for n in range(LIMIT):
        assert feedback(url, pid, f"10.0.0.{n}").status_code == 201
    too_many(feedback(url, pid, "10.0.0.99"))


def test_behind_a_trusted_proxy_each_address_is_limited_and_only_accepted_feedback_counts(stack: Stack) -> None:
    url, pid = start(stack, trusted_proxies="127.0.0.1")
    nowhere = str(uuid.uuid4())
    for _ in range(LIMIT + 1):  # refused: not counted
        assert feedback(url, nowhere, "10.0.0.1").status_code == 404
    for _ in range(LIMIT):
        assert feedback(url, pid, "10.0.0.1").status_code == 201
    too_many(feedback(url, pid, "10.0.0.1"))
    assert feedback(url, pid, "10.0.0.2").status_code == 201
