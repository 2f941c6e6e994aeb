"""The identity service answers as its OpenAPI document says: every JSON operation answered with a
success, and every answer (refusals too) of the status, type and shape the document declares."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from services.identity.config import IdentitySettings
from services.identity.main import create_app
from shared.auth import Role
from tests.contract import Contract
from tests.support import ORGANISATION, TRUST, headers

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"


def test_every_identity_answer_is_the_one_its_document_declares(new_database: Callable[[str], str]) -> None:
    settings = IdentitySettings(
        database_dsn=new_database("identity"), token_keys=TRUST, argon2_time_cost=1, argon2_memory_kib=1024
    )
    app = create_app(settings)
    admin = headers(Role.ADMIN)
    with TestClient(app) as client:
        c = Contract(client)
        created = c.post("/accounts/import", json=ORGANISATION, headers=admin).json()["created"]
        code = next(a["one_time_code"] for a in created if a["account"] == "m-001")
        c.post("/sign-in", json={"account": "m-001", "password": code})  # 403: a code needs a new password
        session = c.post("/sign-in", json={"account": "m-001", "password": code, "new_password": PASSWORD}).json()
        renewed = c.post("/token/refresh", json={"refresh_token": session["refresh_token"]}).json()
        c.post("/token/refresh", json={"refresh_token": session["refresh_token"]})  # 401: used before
        c.post("/sign-in", json={"account": "nobody", "password": PASSWORD})  # 401
        c.post("/sign-in", json={"account": "m-001", "password": "x" * 300})  # 422
        c.post("/password", json={"account": "m-001", "password": PASSWORD, "new_password": "another long one"})
        opened = c.post(
            "/accounts", json={"account": "zhang.wei", "name": "张伟", "grants": [{"role": "inspector"}]}, headers=admin
        )
        assert opened.status_code == 201
        c.get("/accounts", headers=admin)
        c.get("/accounts", params={"role": "member", "department": "fgw"}, headers=admin)
        c.get("/accounts/m-001", headers=admin)
        c.get("/accounts/nobody", headers=admin)  # 404
        c.post("/accounts/m-001/grants", json={"role": "panelist"}, headers=admin)
        c.post("/accounts/m-001/grants", json={"role": "panelist"}, headers=admin)  # 409
        c.post("/accounts/m-001/grants/revoke", json={"role": "panelist"}, headers=admin)
        for _ in range(5):
            c.post("/sign-in", json={"account": "m-002", "password": "not the code"})
        c.post("/sign-in", json={"account": "m-002", "password": "not the code"})  # 429
        c.post("/accounts/m-002/unlock", headers=admin)
        c.post("/accounts/m-002/code", headers=admin)
        c.get("/.well-known/jwks.json")
        c.get("/admin/keys", headers=admin)
        c.post("/admin/keys/rotate", headers=admin)
        c.get("/events", headers=headers(Role.AUDITOR))
        c.get("/audit/stored", headers=headers(Role.AUDITOR))
        c.get("/clock")
        c.get("/health")
        c.post("/sign-out", json={"refresh_token": renewed["refresh_token"]})
        assert c.operations() - c.answered == {("post", "/admin/clock")}  # the system clock cannot be moved
    app.state.identity.close()
