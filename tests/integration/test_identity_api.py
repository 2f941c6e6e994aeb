"""The identity service in-process over a real PostgreSQL: accounts from the registry, sign-in with a
one-time code, refresh, lockout and its end, password change, roles granted and revoked; each one an
event an auditor reads, and no event holds a secret."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.filing.config import FilingSettings
from services.filing.main import create_app as create_filing
from services.identity.config import IdentitySettings
from services.identity.domain import account_id
from services.identity.main import create_app
from shared.auth import Role
from shared.auth.keys import KeySet
from shared.auth.tokens import TokenVerifier, Trust
from shared.contracts import Envelope
from shared.errors import NotAuthenticated
from tests.support import ORGANISATION, TRUST, eventually, headers

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
CHEAP_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_kib": 1024, "argon2_parallelism": 1}


def build(new_database: Callable[[str], str], **overrides: Any) -> tuple[FastAPI, TestClient]:
    settings = IdentitySettings(
        database_dsn=new_database("identity"), **{"token_keys": TRUST, **CHEAP_ARGON2, **overrides}
    )
    app = create_app(settings)
    return app, TestClient(app)


@pytest.fixture
def service(new_database: Callable[[str], str]) -> Iterator[tuple[FastAPI, TestClient]]:
    app, client = build(new_database)
    try:
        yield app, client
    finally:
        client.close()
        app.state.identity.close()


def admin() -> dict[str, str]:
    return headers(Role.ADMIN)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["detail"]
    return body


def imported(client: TestClient) -> dict[str, str]:
    """The registry's people as accounts: account -> one-time code."""
    answer = ok(client.post("/accounts/import", json=ORGANISATION, headers=admin()))
    return {a["account"]: a["one_time_code"] for a in answer["created"]}


def first_sign_in(client: TestClient, account: str, code: str, **choice: str) -> dict[str, Any]:
    body = {"account": account, "password": code, "new_password": PASSWORD, **choice}
    return ok(client.post("/sign-in", json=body))


def sign_in(client: TestClient, account: str, password: str = PASSWORD, **choice: str) -> httpx.Response:
    return client.post("/sign-in", json={"account": account, "password": password, **choice})


def events(client: TestClient) -> list[dict[str, Any]]:
    answer = ok(client.get("/events", params={"limit": 1000}, headers=headers(Role.AUDITOR)))
    return answer["events"]


def names(client: TestClient, account: str) -> list[str]:
    """The event names of one account, in order."""
    return [e["type"].rsplit(".", 1)[1] for e in events(client) if e["aggregate_type"] == "Account" and _of(e, account)]


def _of(envelope: dict[str, Any], account: str) -> bool:
    return envelope["aggregate_id"] == str(account_id(account))


def verifier_of(client: TestClient) -> TokenVerifier:
    """What any other service believes: the identity's published JWKS."""
    return TokenVerifier(Trust("vanguard-identity", KeySet(json.dumps(ok(client.get("/.well-known/jwks.json"))))))


# -- the first sign-in ------------------------------------------------------------------------------


def test_a_registry_secretary_signs_in_with_the_one_time_code_and_must_choose_a_password(
    service: tuple[FastAPI, TestClient],
) -> None:
    _, client = service
    codes = imported(client)
    assert set(codes) == {"s-fgw-1", "m-001", "m-002", "s-zwb-5", "m-101"}

    refused = problem(sign_in(client, "s-fgw-1", codes["s-fgw-1"]), 403)
    assert refused["code"] == "password_change_required"
    assert "new_password" in refused["detail"]

    session = first_sign_in(client, "s-fgw-1", codes["s-fgw-1"])
    assert session["principal"] == {
        "subject": "s-fgw-1",
        "role": "secretary",
        "department": "fgw",
        "branch": "fgw-b1",
        "name": "王强",
    }
    assert session["expires_in"] == 300 and session["token_type"] == "Bearer"
    who = verifier_of(client).verify(session["access_token"])
    assert (who.subject, who.role, who.department, who.branch) == ("s-fgw-1", Role.SECRETARY, "fgw", "fgw-b1")
    assert names(client, "s-fgw-1") == ["Opened", "RoleGranted", "CodeIssued", "PasswordSet", "SignedIn"]

    # the code was for once: now only the password signs in
    problem(sign_in(client, "s-fgw-1", codes["s-fgw-1"]), 401)
    ok(sign_in(client, "s-fgw-1"))


def test_no_event_holds_a_password_a_code_a_hash_or_a_token(service: tuple[FastAPI, TestClient]) -> None:
    _, client = service
    codes = imported(client)
    session = first_sign_in(client, "m-001", codes["m-001"])
    ok(client.post("/token/refresh", json={"refresh_token": session["refresh_token"]}))
    problem(sign_in(client, "m-001", "wrong password!"), 401)
    feed = events(client)
    for envelope in feed:  # each one as Kafka will carry it: cross-department, checked by the contract
        Envelope(**envelope).check()
        assert (envelope["department"], envelope["branch"]) == ("*", None)
    recorded = json.dumps(feed, ensure_ascii=False)
    for secret in (*codes.values(), PASSWORD, session["refresh_token"], session["access_token"], "$argon2"):
        assert secret not in recorded
    assert "wrong password!" not in recorded


def test_the_import_keeps_known_accounts_and_names_conflicts(service: tuple[FastAPI, TestClient]) -> None:
    _, client = service
    imported(client)
    again = ok(client.post("/accounts/import", json=ORGANISATION, headers=admin()))
    assert again["created"] == [] and sorted(again["known"]) == ["m-001", "m-002", "m-101", "s-fgw-1", "s-zwb-5"]
    other = {
        "departments": [
            {
                "code": "jtj",
                "name": "市交通局",
                "branches": [
                    {
                        "code": "jtj-b1",
                        "name": "第一党支部",
                        "secretary": {"id": "s-jtj-1", "name": "周敏"},
                        "members": [{"id": "m-001", "name": "吴昊"}, {"id": "王 五", "name": "王五"}],
                    }
                ],
            }
        ]
    }
    answer = ok(client.post("/accounts/import", json=other, headers=admin()))
    assert [a["account"] for a in answer["created"]] == ["s-jtj-1"]
    assert {c["account"]: c["reason"] for c in answer["conflicts"]} == {
        "m-001": "an account of that name belongs to someone else",
        "王 五": "an account name is 1–64 letters, digits and . _ @ - (starting with a letter or digit)",
    }


def test_a_staff_account_signs_in_for_the_role_it_chooses(service: tuple[FastAPI, TestClient]) -> None:
    _, client = service
    grants = [{"role": "inspector"}, {"role": "committee", "department": "fgw"}]
    opened = ok(
        client.post("/accounts", json={"account": "zhang.wei", "name": "张伟", "grants": grants}, headers=admin()), 201
    )
    assert opened["one_time_code"] and opened["code_pending"] and not opened["password_set"]

    several = problem(sign_in(client, "zhang.wei", opened["one_time_code"]), 422)
    assert "choose one with role, department and branch: inspector, committee@fgw" in several["detail"]
    assert several["grants"] == [
        {"role": "inspector", "department": None, "branch": None},
        {"role": "committee", "department": "fgw", "branch": None},
    ]
    first_sign_in(client, "zhang.wei", opened["one_time_code"], role="inspector")
    committee = ok(sign_in(client, "zhang.wei", role="committee"))
    assert committee["principal"]["role"] == "committee" and committee["principal"]["department"] == "fgw"
    unheld = problem(sign_in(client, "zhang.wei", role="auditor"), 403)
    assert unheld["detail"] == "this account holds no such role; it holds: inspector, committee@fgw"


# -- refresh ----------------------------------------------------------------------------------------


def test_a_refresh_token_is_used_once_and_a_replay_ends_its_session(service: tuple[FastAPI, TestClient]) -> None:
    _, client = service
    codes = imported(client)
    session = first_sign_in(client, "m-002", codes["m-002"])
    renewed = ok(client.post("/token/refresh", json={"refresh_token": session["refresh_token"]}))
    assert renewed["refresh_token"] != session["refresh_token"]
    assert verifier_of(client).verify(renewed["access_token"]).subject == "m-002"
    assert renewed["refresh_expires_in"] <= session["refresh_expires_in"]  # the session does not grow

    replay = problem(client.post("/token/refresh", json={"refresh_token": session["refresh_token"]}), 401)
    assert replay["detail"] == "this refresh token was used before, so its session is ended; sign in again"
    ended = problem(client.post("/token/refresh", json={"refresh_token": renewed["refresh_token"]}), 401)
    assert ended["detail"] == "the refresh token is not known; sign in again"
    assert names(client, "m-002")[-3:] == ["SignedIn", "Refreshed", "RefreshReused"]


def test_a_signed_out_session_refreshes_no_more(service: tuple[FastAPI, TestClient]) -> None:
    _, client = service
    session = first_sign_in(client, "m-101", imported(client)["m-101"])
    assert ok(client.post("/sign-out", json={"refresh_token": session["refresh_token"]})) == {
        "detail": "signed out: the session has ended"
    }
    problem(client.post("/token/refresh", json={"refresh_token": session["refresh_token"]}), 401)
    assert names(client, "m-101")[-1] == "SignedOut"
    ok(client.post("/sign-out", json={"refresh_token": "never-issued"}))  # tells nothing


# -- roles granted and revoked ----------------------------------------------------------------------


def test_a_revoked_role_stops_working_within_the_access_tokens_lifetime(new_database: Callable[[str], str]) -> None:
    app, client = build(new_database, access_token_seconds=2)
    codes = imported(client)
    session = first_sign_in(client, "s-fgw-1", codes["s-fgw-1"])
    filing = create_filing(
        FilingSettings(database_dsn=new_database("filing"), token_keys=json.dumps(app.state.identity.jwks()))
    )
    with TestClient(filing) as other:
        bearer = {"Authorization": f"Bearer {session['access_token']}"}
        ok(other.get("/topics", headers=bearer))

        grant = {"role": "secretary", "department": "fgw", "branch": "fgw-b1"}
        revoked = ok(client.post("/accounts/s-fgw-1/grants/revoke", json=grant, headers=admin()))
        assert revoked["grants"] == []
        at = time.monotonic()
        # a refresh fails at once; the access token already out works until it expires, no longer
        refused = problem(client.post("/token/refresh", json={"refresh_token": session["refresh_token"]}), 401)
        assert refused["detail"] == "the role secretary@fgw/fgw-b1 is no longer yours; sign in again"
        expired = eventually(lambda: (r := other.get("/topics", headers=bearer)).status_code == 401 and r, timeout=10)
        assert time.monotonic() - at <= 2 + 1.5
        assert expired.json()["detail"] == "the bearer token has expired; ask for a new one"
        assert problem(sign_in(client, "s-fgw-1"), 403)["detail"] == (
            "this account holds no role; ask an admin to grant one"
        )
    filing.state.filing.close()
    granted = ok(client.post("/accounts/s-fgw-1/grants", json=grant, headers=admin()))
    assert granted["grants"] == [grant]
    ok(sign_in(client, "s-fgw-1"))
    trail = [e for e in events(client) if e["type"] in ("identity.Account.RoleRevoked", "identity.Account.RoleGranted")]
    assert [(e["type"], e["payload"]["grant"], e["actor"]["role"]) for e in trail[-2:]] == [
        ("identity.Account.RoleRevoked", grant, "admin"),
        ("identity.Account.RoleGranted", grant, "admin"),
    ]
    assert trail[-1]["actor"]["id"] == "admin@None/None"
    client.close()
    app.state.identity.close()


def test_granting_a_role_held_or_revoking_one_not_held_is_a_conflict(service: tuple[FastAPI, TestClient]) -> None:
    _, client = service
    imported(client)
    grant = {"role": "member", "department": "fgw", "branch": "fgw-b1"}
    held = problem(client.post("/accounts/m-001/grants", json=grant, headers=admin()), 409)
    assert held["detail"] == "account m-001 already holds member@fgw/fgw-b1"
    other = {"role": "member", "department": "fgw", "branch": "fgw-b2"}
    missing = problem(client.post("/accounts/m-001/grants/revoke", json=other, headers=admin()), 409)
    assert missing["detail"] == "account m-001 does not hold member@fgw/fgw-b2; it holds: member@fgw/fgw-b1"


# -- lockout ----------------------------------------------------------------------------------------


def test_five_failures_lock_the_account_and_the_lockout_ends_by_itself(new_database: Callable[[str], str]) -> None:
    app, client = build(new_database, lockout_seconds=2)
    first_sign_in(client, "m-001", imported(client)["m-001"])
    for _ in range(5):
        assert problem(sign_in(client, "m-001", "not the password"), 401)["detail"] == (
            "the account or the password is wrong"
        )
    locked = sign_in(client, "m-001")  # even the right password
    body = problem(locked, 429)
    assert body["detail"].startswith("too many failed sign-ins: this account is locked until ")
    assert 1 <= int(locked.headers["Retry-After"]) <= 3
    account = ok(client.get("/accounts/m-001", headers=admin()))
    assert account["failures"] == 5 and account["locked_until"]

    eventually(lambda: sign_in(client, "m-001").status_code == 200, timeout=10, what="the lockout's end")
    assert names(client, "m-001")[-8:] == [*["SignInFailed"] * 5, "LockedOut", "LockoutEnded", "SignedIn"]
    ended = [e for e in events(client) if e["type"] == "identity.Account.LockoutEnded"][-1]
    assert ended["payload"]["reason"] == "expired" and ended["actor"] == {"id": "identity", "role": "system"}
    locked_out = [e for e in events(client) if e["type"] == "identity.Account.LockedOut"][-1]
    assert locked_out["payload"]["failures"] == 5
    client.close()
    app.state.identity.close()


def test_an_admin_unlocks_a_locked_account(service: tuple[FastAPI, TestClient]) -> None:
    _, client = service
    first_sign_in(client, "m-002", imported(client)["m-002"])
    for _ in range(5):
        sign_in(client, "m-002", "not the password")
    problem(sign_in(client, "m-002"), 429)
    unlocked = ok(client.post("/accounts/m-002/unlock", headers=admin()))
    assert unlocked["locked_until"] is None and unlocked["failures"] == 0
    ok(sign_in(client, "m-002"))
    ended = [e for e in events(client) if e["type"] == "identity.Account.LockoutEnded"][-1]
    assert ended["payload"]["reason"] == "unlocked" and ended["actor"]["role"] == "admin"
    assert problem(client.post("/accounts/m-002/unlock", headers=admin()), 409)["detail"] == (
        "account m-002 is not locked"
    )


def test_parallel_guesses_each_count_towards_the_lockout(service: tuple[FastAPI, TestClient]) -> None:
    _, client = service
    first_sign_in(client, "m-101", imported(client)["m-101"])
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: sign_in(client, "m-101", "a parallel guess").status_code, range(8)))
    assert set(answers) <= {401, 429}
    assert names(client, "m-101").count("SignInFailed") >= 5
    problem(sign_in(client, "m-101"), 429)


def test_a_failed_sign_in_tells_nothing_of_whether_the_account_exists(service: tuple[FastAPI, TestClient]) -> None:
    _, client = service
    first_sign_in(client, "m-001", imported(client)["m-001"])
    known = sign_in(client, "m-001", "not the password")
    unknown = sign_in(client, "nobody-here", "not the password")
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    for _ in range(4):
        sign_in(client, "m-001", "not the password")
        sign_in(client, "nobody-here", "not the password")
    known, unknown = sign_in(client, "m-001"), sign_in(client, "nobody-here")
    assert known.status_code == unknown.status_code == 429
    assert known.json()["detail"][:55] == unknown.json()["detail"][:55]
    assert known.headers["Retry-After"] == unknown.headers["Retry-After"]


# -- passwords --------------------------------------------------------------------------------------


def test_a_password_change_needs_the_current_password_and_ends_every_session(
    service: tuple[FastAPI, TestClient],
) -> None:
    _, client = service
    session = first_sign_in(client, "s-zwb-5", imported(client)["s-zwb-5"])
    change = {"account": "s-zwb-5", "password": "not the password", "new_password": "a brand new secret"}
    problem(client.post("/password", json=change), 401)
    changed = ok(client.post("/password", json={**change, "password": PASSWORD}))
    assert changed["detail"] == "password changed; every session has ended: sign in again"
    problem(client.post("/token/refresh", json={"refresh_token": session["refresh_token"]}), 401)
    problem(sign_in(client, "s-zwb-5"), 401)
    ok(sign_in(client, "s-zwb-5", "a brand new secret"))
    weak = problem(
        client.post("/password", json={**change, "password": "a brand new secret", "new_password": "short"}), 422
    )
    assert weak["detail"] == "a password needs at least 10 characters"
    assert names(client, "s-zwb-5")[-5:] == ["SignedIn", "SignInFailed", "PasswordChanged", "SignInFailed", "SignedIn"]
    changed_event = [e for e in events(client) if e["type"] == "identity.Account.PasswordChanged"][-1]
    assert changed_event["actor"] == {"id": "s-zwb-5", "role": "account"}
    assert set(changed_event["payload"]) == {"credential"}  # a reference to the vault's row, no hash


def test_a_password_chosen_at_sign_in_ends_the_other_sessions(service: tuple[FastAPI, TestClient]) -> None:
    _, client = service
    other = first_sign_in(client, "m-002", imported(client)["m-002"])
    renewed = ok(sign_in(client, "m-002", new_password="another long secret"))
    problem(client.post("/token/refresh", json={"refresh_token": other["refresh_token"]}), 401)
    ok(client.post("/token/refresh", json={"refresh_token": renewed["refresh_token"]}))
    assert names(client, "m-002")[-3:] == ["PasswordChanged", "SignedIn", "Refreshed"]


def test_an_admin_reset_issues_a_new_code_and_the_old_password_stops_working(
    service: tuple[FastAPI, TestClient],
) -> None:
    _, client = service
    session = first_sign_in(client, "m-001", imported(client)["m-001"])
    reset = ok(client.post("/accounts/m-001/code", headers=admin()))
    assert reset["one_time_code"]
    problem(sign_in(client, "m-001"), 401)
    problem(client.post("/token/refresh", json={"refresh_token": session["refresh_token"]}), 401)
    again = first_sign_in(client, "m-001", reset["one_time_code"])
    assert again["principal"]["subject"] == "m-001"
    assert names(client, "m-001")[-5:] == ["SignedIn", "CodeIssued", "SignInFailed", "PasswordSet", "SignedIn"]


def test_an_expired_one_time_code_says_so(new_database: Callable[[str], str]) -> None:
    app, client = build(new_database, one_time_code_seconds=1)
    code = imported(client)["m-001"]
    time.sleep(1.1)  # the code's own lifetime: nothing to poll
    assert problem(sign_in(client, "m-001", code), 401)["detail"] == (
        "this one-time code has expired; ask an admin for a new one"
    )
    client.close()
    app.state.identity.close()


# -- the first admin --------------------------------------------------------------------------------


def test_a_bootstrap_admin_signs_in_with_the_logged_code_and_a_revoked_admin_stops_at_once(
    new_database: Callable[[str], str],
) -> None:
    app, client = build(new_database, token_keys="", identity_admins="root,ops")
    codes = app.state.bootstrap_codes
    assert set(codes) == {"root", "ops"}
    root = first_sign_in(client, "root", codes["root"])
    as_root = {"Authorization": f"Bearer {root['access_token']}"}
    ok(client.post("/accounts/import", json=ORGANISATION, headers=as_root))
    admin_grant = {"role": "admin"}
    own = problem(client.post("/accounts/root/grants/revoke", json=admin_grant, headers=as_root), 409)
    assert own["detail"] == "an admin does not revoke their own admin role; ask another admin"

    ops = first_sign_in(client, "ops", codes["ops"])
    as_ops = {"Authorization": f"Bearer {ops['access_token']}"}
    ok(client.post("/accounts/root/grants/revoke", json=admin_grant, headers=as_ops))
    refused = problem(client.get("/accounts", headers=as_root), 403)  # the token is still valid, the role is not
    assert refused["detail"] == "the admin role of root was revoked; sign in again"
    # a token signed by anyone else (the tests' key) is not believed without VANGUARD_TOKEN_KEYS
    assert problem(client.get("/accounts", headers=admin()), 401)["detail"].startswith(
        "the bearer token is signed by an unknown key"
    )
    # a restart keeps the accounts and issues no second code
    again = create_app(
        IdentitySettings(
            database_dsn=app.state.identity.recorder.datastore.dsn, identity_admins="root,ops", **CHEAP_ARGON2
        )
    )
    assert again.state.bootstrap_codes == {}
    again.state.identity.close()
    client.close()
    app.state.identity.close()


def test_admin_work_needs_an_admin(service: tuple[FastAPI, TestClient]) -> None:
    _, client = service
    assert problem(client.get("/accounts"), 401)["code"] == "not_authenticated"
    secretary = headers(Role.SECRETARY, "fgw", "fgw-b1")
    assert problem(client.post("/accounts/import", json=ORGANISATION, headers=secretary), 403)["detail"] == (
        "role 'secretary' may not do this; it needs: admin (系统管理员)"
    )
    problem(client.post("/admin/keys/rotate", headers=secretary), 403)
    problem(client.get("/events", headers=secretary), 403)


def test_the_jwks_is_public_and_holds_public_keys_only(service: tuple[FastAPI, TestClient]) -> None:
    _, client = service
    keys = ok(client.get("/.well-known/jwks.json"))["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "OKP" and keys[0]["alg"] == "EdDSA" and "d" not in keys[0]
    with pytest.raises(NotAuthenticated):
        verifier_of(client).verify("not-a-token")
