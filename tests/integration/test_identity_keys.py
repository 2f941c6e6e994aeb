"""Key rotation while requests run: the identity service served by a real uvicorn on a loopback port,
another service (filing, in-process) believing its JWKS URL, clients signing in and calling both
all the while. Two rotations later, no request has failed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

import shared.auth.keys
from services.filing.config import FilingSettings
from services.filing.main import create_app as create_filing
from services.identity.config import IdentitySettings
from services.identity.core import utc_now
from services.identity.main import create_app
from shared.auth import Principal, Role
from shared.auth.keys import SigningKey
from shared.auth.tokens import TokenIssuer
from shared.devstack.ports import free_port
from tests.support import ORGANISATION, TRUST, eventually, headers

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
# A KeySet fetches the JWKS again on an unknown key id, at most this often; a rotated key must wait
# longer than that before it signs. Two rotations closer together than that are the hard case.
REFETCH = float(getattr(shared.auth.keys, "_REFETCH_AT_MOST_EVERY", 10.0))
ACTIVATION = REFETCH + 1.5


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """`app` under uvicorn on a free loopback port, in a thread; its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", loop="asyncio"))
    thread = threading.Thread(target=server.run, name="identity-uvicorn", daemon=True)
    thread.start()
    try:
        eventually(lambda: server.started, timeout=30, what="uvicorn started")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def kid_of(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


def test_keys_rotate_while_requests_run_and_no_request_fails(new_database: Callable[[str], str]) -> None:
    settings = IdentitySettings(
        database_dsn=new_database("identity"),
        token_keys=TRUST,
        identity_admins="root",
        key_activation_seconds=ACTIVATION,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
    )
    identity = create_app(settings)
    with serving(identity) as url, httpx.Client(base_url=url, timeout=10) as client:
        codes = {
            a["account"]: a["one_time_code"]
            for a in _ok(client.post("/accounts/import", json=ORGANISATION, headers=headers(Role.ADMIN)))["created"]
        }
        for account, code in [("m-001", codes["m-001"]), ("root", identity.state.bootstrap_codes["root"])]:
            _ok(client.post("/sign-in", json={"account": account, "password": code, "new_password": PASSWORD}))
        filing = create_filing(
            FilingSettings(database_dsn=new_database("filing"), token_keys=f"{url}/.well-known/jwks.json")
        )
        with TestClient(filing) as other:
            before = _ok(client.post("/sign-in", json={"account": "m-001", "password": PASSWORD}))["access_token"]
            assert other.get("/topics", headers=_bearer(before)).status_code == 200  # it has fetched the JWKS
            outcomes: list[tuple[str, str, int]] = []
            stop = threading.Event()
            threads = [
                threading.Thread(target=_member_calls, args=(url, other, stop, outcomes)),
                threading.Thread(target=_member_calls, args=(url, other, stop, outcomes)),
                threading.Thread(target=_admin_calls, args=(url, stop, outcomes)),
            ]
            for thread in threads:
                thread.start()
            try:
                time.sleep(1)  # requests under way with the first key
                first, second = _rotate(client), None
                jwks = {k["kid"] for k in _ok(client.get("/.well-known/jwks.json"))["keys"]}
                assert first in jwks  # published at once...
                time.sleep(REFETCH / 2)
                second = _rotate(client)
                # ...signing once every verifier can have fetched it, then the next one
                eventually(lambda: any(k == second for _, k, _ in outcomes), timeout=3 * ACTIVATION, what="second key")
                time.sleep(1)
            finally:
                stop.set()
                for thread in threads:
                    thread.join(timeout=30)
            # a token of the first key still works after two rotations: its key stays until it has expired
            assert other.get("/topics", headers=_bearer(before)).status_code == 200
        filing.state.filing.close()
        ring = _ok(client.get("/admin/keys", headers=headers(Role.ADMIN)))["keys"]
    identity.state.identity.close()

    failed = [o for o in outcomes if o[2] != 200]
    assert not failed, failed[:10]
    kids = [k for _, k, _ in outcomes]
    original = kid_of(before)
    assert {original, first, second} <= set(kids), set(kids)
    assert kids.index(first) > kids.index(original) and kids.index(second) > kids.index(first)
    assert len(outcomes) > 50
    assert [k["state"] for k in ring] == ["previous", "previous", "current"]
    assert [k["kid"] for k in ring] == [original, first, second]


def _rotate(client: httpx.Client) -> str:
    ring = _ok(client.post("/admin/keys/rotate", headers=headers(Role.ADMIN)))
    assert ring["keys"][-1]["state"] == "next"
    return str(ring["keys"][-1]["kid"])


def _member_calls(url: str, other: TestClient, stop: threading.Event, outcomes: list[tuple[str, str, int]]) -> None:
    """Sign in, refresh, call filing with each access token, over and over."""
    with httpx.Client(base_url=url, timeout=10) as client:
        while not stop.is_set():
            signed = client.post("/sign-in", json={"account": "m-001", "password": PASSWORD})
            if signed.status_code != 200:
                outcomes.append(("sign-in", "-", signed.status_code))
                continue
            renewed = client.post("/token/refresh", json={"refresh_token": signed.json()["refresh_token"]})
            outcomes.append(("refresh", "-", renewed.status_code))
            for answer in (signed, renewed):
                if answer.status_code == 200:
                    token = answer.json()["access_token"]
                    outcomes.append(("filing", kid_of(token), other.get("/topics", headers=_bearer(token)).status_code))


def _admin_calls(url: str, stop: threading.Event, outcomes: list[tuple[str, str, int]]) -> None:
    """An admin of the identity service itself, signing in and reading accounts with its own tokens."""
    with httpx.Client(base_url=url, timeout=10) as client:
        while not stop.is_set():
            signed = client.post("/sign-in", json={"account": "root", "password": PASSWORD})
            if signed.status_code != 200:
                outcomes.append(("sign-in", "-", signed.status_code))
                continue
            token = signed.json()["access_token"]
            outcomes.append(
                ("identity", kid_of(token), client.get("/accounts/m-001", headers=_bearer(token)).status_code)
            )


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def test_the_key_file_is_the_first_key_and_a_new_file_is_a_rotation(
    new_database: Callable[[str], str], tmp_path: Path
) -> None:
    first, second = SigningKey.generate("file-1"), SigningKey.generate("file-2")
    first.write(tmp_path / "first.jwk")
    second.write(tmp_path / "second.jwk")
    dsn = new_database("identity")

    def started(key_file: str) -> FastAPI:
        settings = IdentitySettings(
            database_dsn=dsn,
            identity_key=key_file,
            key_activation_seconds=4,  # long enough to see it "next" on a busy machine
            argon2_time_cost=1,
            argon2_memory_kib=1024,
        )
        return create_app(settings)

    app = started(str(tmp_path / "first.jwk"))
    with TestClient(app) as client:
        assert [k["kid"] for k in _ok(client.get("/.well-known/jwks.json"))["keys"]] == ["file-1"]
        # a token minted with the file's key (./vanguard token, say) is one of the service's own
        token = TokenIssuer(first).mint(Principal("ops", Role.ADMIN), 60)
        assert _ok(client.get("/admin/keys", headers=_bearer(token)))["keys"][0]["state"] == "current"
    app.state.identity.close()

    app = started(str(tmp_path / "second.jwk"))  # restarted with another key file: a rotation
    with TestClient(app) as client:
        ring = _ok(client.get("/admin/keys", headers=_bearer(token)))["keys"]
        assert [(k["kid"], k["state"]) for k in ring] == [("file-1", "current"), ("file-2", "next")]
        assert {k["kid"] for k in _ok(client.get("/.well-known/jwks.json"))["keys"]} == {"file-1", "file-2"}
        eventually(
            lambda: _ok(client.get("/admin/keys", headers=_bearer(token)))["keys"][-1]["state"] == "current",
            timeout=20,
        )
        assert app.state.identity.issuer(utc_now()).key.kid == "file-2"
    app.state.identity.close()
