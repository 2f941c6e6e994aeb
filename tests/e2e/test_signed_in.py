"""The programme with people who signed in, not minted tokens (issue 13): the identity service opens
accounts for the registry's people and for staff; each signs in with the one-time code an admin gave
(choosing a password), and the five services believe only what its keys signed. The project goes
from topic to a met milestone with those tokens; a revoked grant stops working within the access
token's lifetime, and its refresh is refused at once."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from shared.auth import Principal, Role
from shared.devstack.stack import Stack
from tests.support import ORGANISATION, eventually, project_body

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple 2026"


class Person:
    """Someone signed in: their tokens, refreshed by the identity service."""

    def __init__(self, identity: str, account: str, code: str) -> None:
        self.identity = identity
        answer = httpx.post(
            f"{identity}/sign-in", json={"account": account, "password": code, "new_password": PASSWORD}
        )
        assert answer.status_code == 200, answer.text
        self.take(answer.json())

    def take(self, session: dict[str, Any]) -> None:
        self.session = session
        self.expires = time.monotonic() + session["expires_in"]

    def headers(self) -> dict[str, str]:
        """The access token, refreshed first when it has little life left (as a client does)."""
        if self.expires - time.monotonic() < 2.5:
            self.take(ok(self.refresh()))
        return {"Authorization": f"Bearer {self.session['access_token']}"}

    def refresh(self) -> httpx.Response:
        return httpx.post(f"{self.identity}/token/refresh", json={"refresh_token": self.session["refresh_token"]})


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


def test_the_steps_run_on_tokens_from_sign_in_and_a_revoked_grant_stops_working(stack: Stack) -> None:
    identity, identity_relay = stack.identity(access_token_seconds=6)
    filing, filing_relay = stack.filing("fgw", "fgw")
    tasking, tasking_relay, tasking_consumer = stack.tasking("fgw", "fgw")
    projection = stack.projection()
    for process in (identity, identity_relay, filing, filing_relay, tasking, tasking_relay, tasking_consumer):
        process.start()
    projection.start()
    i, f, t, p = (stack.url(x) for x in (identity, filing, tasking, projection))

    # The only minted token: the first admin's, with the deployment's key, to open the real admin.
    bootstrap = {"Authorization": f"Bearer {stack.issuer().mint(Principal('bootstrap', Role.ADMIN))}"}
    staff = {
        "ops": [{"role": "admin"}],
        "fgw.committee": [{"role": "committee", "department": "fgw"}],
        "audit.1": [{"role": "auditor"}],
    }
    codes = {}
    for account, grants in staff.items():
        opened = ok(
            httpx.post(
                f"{i}/accounts", headers=bootstrap, json={"account": account, "name": account, "grants": grants}
            ),
            201,
        )
        codes[account] = opened["one_time_code"]
    admin = Person(i, "ops", codes["ops"])
    fgw = {"departments": [ORGANISATION["departments"][0]]}
    imported = ok(httpx.post(f"{i}/accounts/import", headers=admin.headers(), json=fgw))
    codes |= {person["account"]: person["one_time_code"] for person in imported["created"]}
    assert {"s-fgw-1", "m-001"} <= set(codes)
    ok(httpx.post(f"{f}/organisation", headers=admin.headers(), json=fgw))

    committee = Person(i, "fgw.committee", codes["fgw.committee"])
    secretary = Person(i, "s-fgw-1", codes["s-fgw-1"])
    member = Person(i, "m-001", codes["m-001"])
    auditor = Person(i, "audit.1", codes["audit.1"])
    assert (secretary.session["principal"]["role"], secretary.session["principal"]["branch"]) == ("secretary", "fgw-b1")
    wrong = httpx.post(f"{i}/sign-in", json={"account": "s-fgw-1", "password": "not the password"})
    assert wrong.status_code == 401

    # 党委出题 → 支部立项 → 审核通过 → 任务到人 → 节点完成, each by the person it belongs to.
    topic = ok(
        httpx.post(
            f"{f}/topics",
            headers=committee.headers(),
            json={"year": 2026, "direction": "high_quality_development", "title": "环保管家"},
        ),
        201,
    )
    project = ok(httpx.post(f"{f}/projects", headers=secretary.headers(), json=project_body(topic["id"])), 201)
    pid = project["id"]
    ok(httpx.post(f"{f}/projects/{pid}/submit", headers=secretary.headers(), json={"expected_version": 1}))
    refused = httpx.post(f"{f}/projects/{pid}/approve", headers=secretary.headers(), json={"expected_version": 2})
    assert refused.status_code == 403 and "committee" in refused.json()["detail"]
    ok(httpx.post(f"{f}/projects/{pid}/approve", headers=committee.headers(), json={"expected_version": 2}))
    eventually(
        lambda: httpx.get(f"{t}/projects/{pid}/board", headers=secretary.headers()).json().get("milestones"),
        what="the task board opened from filing's approval",
    )
    task = ok(
        httpx.post(
            f"{t}/projects/{pid}/tasks",
            headers=secretary.headers(),
            json={"title": "走访企业", "due": "2026-12-31", "milestone_id": "m1", "assignee": "m-001"},
        ),
        201,
    )
    ok(httpx.post(f"{t}/tasks/{task['id']}/complete", headers=member.headers(), json={"expected_version": 1}))
    overview = eventually(
        lambda: (
            (o := httpx.get(f"{p}/projects/{pid}", headers=auditor.headers()).json()).get("state") == "approved" and o
        ),
        what="the projection's overview, read by a signed-in auditor",
    )
    assert overview["title"] == project["title"]

    # The admin revokes the committee's grant: its access token dies within its lifetime, its refresh at once.
    ok(
        httpx.post(
            f"{i}/accounts/fgw.committee/grants/revoke",
            headers=admin.headers(),
            json={"role": "committee", "department": "fgw"},
        )
    )
    assert committee.refresh().status_code in (401, 403)
    old_token = {"Authorization": f"Bearer {committee.session['access_token']}"}
    time.sleep(max(0.0, committee.expires - time.monotonic()) + 1.5)
    late = httpx.post(
        f"{f}/topics",
        headers=old_token,
        json={"year": 2026, "direction": "work_upgrade", "title": "迟来的课题"},
    )
    assert late.status_code == 401 and "expired" in late.json()["detail"]
    # The secretary refreshes and goes on; the whole history shows who granted and revoked what.
    secretary.take(ok(secretary.refresh()))
    ok(httpx.get(f"{f}/projects/{pid}", headers=secretary.headers()))
    trail = ok(httpx.get(f"{i}/events", headers=auditor.headers(), params={"limit": 1000}))
    types = [e["type"] for e in trail["events"]]
    assert "identity.Account.RoleRevoked" in types and "identity.Account.SignedIn" in types
