"""Bad input to the identity service: a 4xx problem that says what is wrong (and never echoes a
password), never a 500, and nothing recorded."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.identity.config import IdentitySettings
from services.identity.main import create_app
from shared.auth import Principal, Role
from tests.support import ISSUER, ORGANISATION, TRUST, headers

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
SECRETARY = {"role": "secretary", "department": "fgw", "branch": "fgw-b1"}


@dataclass
class World:
    app: FastAPI
    client: TestClient
    code: str  # m-002's one-time code, never used


@pytest.fixture(scope="module")
def world(new_database: Callable[[str], str]) -> Iterator[World]:
    settings = IdentitySettings(
        database_dsn=new_database("identity"), token_keys=TRUST, argon2_time_cost=1, argon2_memory_kib=1024
    )
    app = create_app(settings)
    client = TestClient(app)
    created = client.post("/accounts/import", json=ORGANISATION, headers=headers(Role.ADMIN)).json()["created"]
    codes = {a["account"]: a["one_time_code"] for a in created}
    signed = client.post("/sign-in", json={"account": "m-001", "password": codes["m-001"], "new_password": PASSWORD})
    assert signed.status_code == 200, signed.text
    try:
        yield World(app, client, codes["m-002"])
    finally:
        client.close()
        app.state.identity.close()


def admin() -> dict[str, str]:
    return headers(Role.ADMIN)


def sign_in(w: World, **body: Any) -> httpx.Response:
    return w.client.post("/sign-in", json={"account": "m-001", "password": PASSWORD, **body})


def raw(w: World, path: str, content: bytes, content_type: str = "application/json") -> httpx.Response:
    return w.client.post(path, content=content, headers={"Content-Type": content_type})


def staff(w: World, **body: Any) -> httpx.Response:
    return w.client.post("/accounts", json={"account": "li.ming", "name": "李明", **body}, headers=admin())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Bad:
    name: str
    send: Callable[[World], httpx.Response]
    status: int
    detail: str  # the detail starts with this


BAD = [
    # sign-in bodies
    Bad("malformed JSON", lambda w: raw(w, "/sign-in", b'{"account": "m-001",'), 422, "the body is not valid JSON"),
    Bad("a JSON list", lambda w: w.client.post("/sign-in", json=["m-001"]), 422, "request body: Input should be"),
    Bad(
        "a form",
        lambda w: raw(w, "/sign-in", b"account=m-001", "application/x-www-form-urlencoded"),
        422,
        "request body",
    ),
    Bad("no password", lambda w: w.client.post("/sign-in", json={"account": "m-001"}), 422, "password: required"),
    Bad("a number for a name", lambda w: sign_in(w, account=1), 422, "account: Input should be a valid string"),
    Bad("an unknown field", lambda w: sign_in(w, remember=True), 422, "remember: unknown field; remove it"),
    Bad(
        "a NUL in the password",
        lambda w: sign_in(w, password="correct\x00horse"),
        422,
        "password: Value error, contains the control character U+0000 at position 7",
    ),
    Bad(
        "a line break in the password",
        lambda w: sign_in(w, password="correct\nhorse"),
        422,
        "password: Value error, contains a line break",
    ),
    Bad(
        "a bidi control in the new password",
        lambda w: sign_in(w, new_password="abc\u202edefghijk"),
        422,
        "new_password: Value error, contains the bidirectional control U+202E",
    ),
    Bad(
        "a lone surrogate",
        lambda w: raw(w, "/sign-in", b'{"account": "m-001", "password": "x\\ud800y"}'),
        422,
        "password: Input should be a valid string, unable to parse raw data as a unicode string",
    ),
    Bad(
        "a huge password",
        lambda w: sign_in(w, password="x" * 100_000),
        422,
        "password: String should have at most 256 characters",
    ),
    Bad(
        "a huge account name",
        lambda w: sign_in(w, account="m" * 10_000),
        422,
        "account: String should have at most 64 characters",
    ),
    Bad(
        "a control character in the account",
        lambda w: sign_in(w, account="m-0\x0701"),
        422,
        "account: String should match pattern",
    ),
    Bad(
        "an account name with a slash",
        lambda w: sign_in(w, account="fgw/m-001"),
        422,
        "account: String should match pattern",
    ),
    Bad("an unknown role", lambda w: sign_in(w, role="king"), 422, "role: Input should be 'committee', 'secretary'"),
    Bad(
        "a body over 1 MB",
        lambda w: raw(w, "/sign-in", b'{"account": "' + b"m" * 1_100_000 + b'"}'),
        413,
        "the body is 1100015 bytes or more",
    ),
    Bad(
        "the one-time code as the new password",
        lambda w: sign_in(w, account="m-002", password=w.code, new_password=w.code),
        422,
        "choose a new password different from the current one",
    ),
    Bad(
        "a short new password",
        lambda w: sign_in(w, new_password="short1"),
        422,
        "a password needs at least 10 characters",
    ),
    Bad(
        "the account's name in the new password",
        lambda w: sign_in(w, new_password="m-001-is-my-name"),
        422,
        "a password must not contain the account's name or id",
    ),
    Bad(
        "a new password of one character",
        lambda w: sign_in(w, new_password="a" * 12),
        422,
        "a password needs at least 4 different characters",
    ),
    Bad(
        "a role the account does not hold",
        lambda w: sign_in(w, role="auditor"),
        403,
        "this account holds no such role; it holds: member@fgw/fgw-b1",
    ),
    # refresh tokens
    Bad(
        "an empty refresh token",
        lambda w: w.client.post("/token/refresh", json={"refresh_token": ""}),
        422,
        "refresh_token: String should have at least 1 character",
    ),
    Bad(
        "a huge refresh token",
        lambda w: w.client.post("/token/refresh", json={"refresh_token": "r" * 5000}),
        422,
        "refresh_token: String should have at most 200 characters",
    ),
    Bad(
        "an unknown refresh token",
        lambda w: w.client.post("/token/refresh", json={"refresh_token": "nope"}),
        401,
        "the refresh token is not known; sign in again",
    ),
    Bad(
        "a control character in a refresh token",
        lambda w: w.client.post("/token/refresh", json={"refresh_token": "a\x1bb"}),
        422,
        "refresh_token: Value error, contains the control character U+001B",
    ),
    Bad(
        "a password change with no new password",
        lambda w: w.client.post("/password", json={"account": "m-001", "password": PASSWORD}),
        422,
        "new_password: required",
    ),
    # admin: accounts and grants
    Bad(
        "an account name with a blank",
        lambda w: staff(w, account="li ming"),
        422,
        "account: String should match pattern",
    ),
    Bad("a name with a tab", lambda w: staff(w, name="李\t明"), 422, "name: Value error, contains a line break or tab"),
    Bad(
        "a name of 101 characters",
        lambda w: staff(w, name="名" * 101),
        422,
        "name: String should have at most 100 characters",
    ),
    Bad(
        "a secretary without a branch",
        lambda w: staff(w, grants=[{"role": "secretary", "department": "fgw"}]),
        422,
        "a secretary is granted for a department and a branch",
    ),
    Bad(
        "a committee for a branch",
        lambda w: staff(w, grants=[{"role": "committee", "department": "fgw", "branch": "b"}]),
        422,
        "a committee is granted for a department only",
    ),
    Bad(
        "an inspector's branch without a department",
        lambda w: staff(w, grants=[{"role": "inspector", "branch": "b"}]),
        422,
        "a branch is given only with its department",
    ),
    Bad(
        "twenty-one grants",
        lambda w: staff(w, grants=[{"role": "auditor"}] * 21),
        422,
        "grants: List should have at most 20 items",
    ),
    Bad(
        "an account that exists",
        lambda w: w.client.post("/accounts", json={"account": "m-001", "name": "李扬"}, headers=admin()),
        409,
        "account m-001 already exists",
    ),
    Bad(
        "a grant to nobody",
        lambda w: w.client.post("/accounts/nobody/grants", json=SECRETARY, headers=admin()),
        404,
        "no account nobody",
    ),
    Bad(
        "an account path with a blank",
        lambda w: w.client.get("/accounts/li%20ming", headers=admin()),
        422,
        "path.account: String should match pattern",
    ),
    Bad(
        "an account path too long",
        lambda w: w.client.get("/accounts/" + "a" * 65, headers=admin()),
        422,
        "path.account: String should have at most 64 characters",
    ),
    Bad(
        "an unknown role filter",
        lambda w: w.client.get("/accounts", params={"role": "king"}, headers=admin()),
        422,
        "query.role: Input should be",
    ),
    Bad(
        "a code for nobody", lambda w: w.client.post("/accounts/nobody/code", headers=admin()), 404, "no account nobody"
    ),
    Bad(
        "unlocking nobody",
        lambda w: w.client.post("/accounts/nobody/unlock", headers=admin()),
        404,
        "no account nobody",
    ),
    Bad(
        "a bad idempotency key",
        lambda w: w.client.post("/admin/keys/rotate", headers={**admin(), "Idempotency-Key": "a b"}),
        422,
        "the Idempotency-Key header must be",
    ),
    Bad(
        "a feed position below 0",
        lambda w: w.client.get("/events", params={"after": -1}, headers=admin()),
        422,
        "query.after: Input should be greater than or equal to 0",
    ),
    # tokens
    Bad("no token", lambda w: w.client.get("/accounts"), 401, "send 'Authorization: Bearer <token>'"),
    Bad(
        "a token that is no JWT",
        lambda w: w.client.get("/accounts", headers=bearer("garbage")),
        401,
        "the bearer token is not a JWT",
    ),
    Bad(
        "an expired token",
        lambda w: w.client.get("/accounts", headers=bearer(ISSUER.mint(Principal("a", Role.ADMIN), ttl_seconds=-10))),
        401,
        "the bearer token has expired",
    ),
    Bad(
        "a member's token",
        lambda w: w.client.get("/accounts", headers=headers(Role.MEMBER, "fgw", "fgw-b1")),
        403,
        "role 'member' may not do this",
    ),
]


def _position(w: World) -> int:
    return w.app.state.identity.recorder.max_notification_id() or 0


@pytest.mark.parametrize("bad", BAD, ids=[b.name for b in BAD])
def test_bad_input_is_refused_with_a_problem_that_says_what_is_wrong(world: World, bad: Bad) -> None:
    before = _position(world)
    response = bad.send(world)
    assert response.status_code == bad.status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    detail = response.json()["detail"]
    assert detail.startswith(bad.detail), detail
    assert PASSWORD not in response.text and "correct\x00horse" not in response.text
    assert _position(world) == before, "an event was recorded"


def test_every_mistake_in_a_sign_in_is_named_at_once(world: World) -> None:
    response = world.client.post("/sign-in", json={"account": "", "password": "x" * 300, "role": "king", "extra": 1})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        "account: String should have at least 1 character",
        "password: String should have at most 256 characters",
        "role: Input should be 'committee', 'secretary', 'member', 'inspector', 'panelist', 'auditor', 'organiser'"
        " or 'admin'",
        "extra: unknown field; remove it",
    ]
