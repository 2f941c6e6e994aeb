"""The identity API: sign-in and tokens, accounts and their roles (admin), the signing keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Request, Response

from services.identity import responses as r
from services.identity import schemas as s
from services.identity.app import IdentityApplication
from services.identity.domain import LOGIN, MAX_LOGIN, make_grant
from services.identity.keyring import KeyRing
from shared.api import CurrentPrincipal, RequestId, app_state
from shared.api.bounds import After, FeedPage
from shared.api.routes import service_router
from shared.auth import Role
from shared.messaging.feed import event_feed
from shared.views import EventFeed

Identity = Annotated[IdentityApplication, app_state("identity")]
AccountName = Annotated[str, Path(min_length=1, max_length=MAX_LOGIN, pattern=f"^{LOGIN.pattern}$")]
router = service_router()
SIGN_IN = ["sign-in 登录"]
ACCOUNTS = ["accounts 账号 (admin)"]
KEYS = ["keys 密钥"]


_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
# Sign-in needs no bearer token, yet it refuses as a secured operation does (the others are documented
# for every operation by shared.api.documented).
REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {
        "description": "a wrong account or password (the same for either), or a refresh token refused",
        "content": _PROBLEM,
    },
    403: {
        "description": "a one-time code without new_password, or a role the account does not hold",
        "content": _PROBLEM,
    },
}


def _no_store(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"  # tokens are never cached (RFC 6749 5.1)


@router.post("/sign-in", response_model=r.Session, tags=SIGN_IN, responses=REFUSALS)
def sign_in(body: s.SignIn, app: Identity, response: Response) -> dict[str, Any]:
    """Sign in for one of the account's roles; the first time, with the one-time code and a new password."""
    _no_store(response)
    return app.sign_in(body.account, body.password, _choice(body), body.new_password)


@router.post("/token/refresh", response_model=r.Session, tags=SIGN_IN, responses=REFUSALS)
def refresh(body: s.RefreshToken, app: Identity, response: Response) -> dict[str, Any]:
    """New tokens for a refresh token (each is used once; its answer carries the next)."""
    _no_store(response)
    return app.refresh(body.refresh_token)


@router.post("/sign-out", response_model=r.SignedOut, tags=SIGN_IN)
def sign_out(body: s.RefreshToken, app: Identity) -> dict[str, str]:
    """End the session of a refresh token (answered alike for a token that is not known)."""
    app.sign_out(body.refresh_token)
    return {"detail": "signed out: the session has ended"}


@router.post("/password", response_model=r.PasswordChanged, tags=SIGN_IN, responses=REFUSALS)
def change_password(body: s.ChangePassword, app: Identity) -> dict[str, Any]:
    """Change a password, given the current one; every session of the account ends."""
    account = app.change_password(body.account, body.password, body.new_password)
    detail = "password changed; every session has ended: sign in again"
    return {"account": account.login, "version": account.version, "detail": detail}


@router.get("/.well-known/jwks.json", response_model=r.Jwks, tags=KEYS)
def jwks(app: Identity) -> dict[str, Any]:
    """The public keys that verify our tokens, by key id (no token needed)."""
    return app.jwks()


@router.get("/admin/keys", response_model=r.KeyRingView, tags=KEYS)
def key_ring(app: Identity, who: CurrentPrincipal) -> dict[str, Any]:
    """The signing keys and their schedule (admin)."""
    return _ring(app, app.key_schedule(who))


@router.post("/admin/keys/rotate", response_model=r.KeyRingView, tags=KEYS)
def rotate_keys(app: Identity, who: CurrentPrincipal, request_id: RequestId) -> dict[str, Any]:
    """A new signing key: in the JWKS at once, signing after the activation delay (admin)."""
    app.rotate_keys(who, request_id)
    return _ring(app, app.key_schedule(who))


@router.post("/accounts", status_code=201, response_model=r.OpenedAccount, tags=ACCOUNTS)
def open_account(
    body: s.OpenAccount, app: Identity, who: CurrentPrincipal, request_id: RequestId, response: Response
) -> dict[str, Any]:
    """Open a staff account with its roles; its one-time code is in this answer only (admin)."""
    grants = [make_grant(*s.grant_in(g)) for g in body.grants]
    account, code = app.open_account(who, body.account, body.subject, body.name, grants, request_id)
    response.headers["Location"] = f"/accounts/{account.login}"
    _no_store(response)
    return {**s.account_view(account), "one_time_code": code}


@router.post("/accounts/import", response_model=r.Imported, tags=ACCOUNTS)
def import_accounts(
    body: s.Organisation, app: Identity, who: CurrentPrincipal, request_id: RequestId, response: Response
) -> dict[str, Any]:
    """Accounts for the registry's secretaries and members not yet known, with one-time codes (admin)."""
    _no_store(response)
    return app.import_registry(who, body.model_dump()["departments"], request_id)


@router.get("/accounts", response_model=list[r.AccountView], tags=ACCOUNTS)
def list_accounts(
    app: Identity,
    who: CurrentPrincipal,
    role: Role | None = None,
    department: Annotated[str | None, Query(max_length=64)] = None,
) -> list[dict[str, Any]]:
    """Accounts, by a role they hold and its department (admin)."""
    return [s.account_view(a) for a in app.accounts(who, role and role.value, department)]


@router.get("/accounts/{account}", response_model=r.AccountView, tags=ACCOUNTS)
def get_account(account: AccountName, app: Identity, who: CurrentPrincipal) -> dict[str, Any]:
    """One account (admin)."""
    return s.account_view(app.account(who, account))


@router.post("/accounts/{account}/grants", response_model=r.AccountView, tags=ACCOUNTS)
def grant_role(
    account: AccountName, body: s.GrantBody, app: Identity, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Grant a role, for a department and branch where it needs them (admin)."""
    return s.account_view(app.grant(who, account, make_grant(*s.grant_in(body)), request_id))


@router.post("/accounts/{account}/grants/revoke", response_model=r.AccountView, tags=ACCOUNTS)
def revoke_role(
    account: AccountName, body: s.GrantBody, app: Identity, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Revoke a role: refreshing a session for it fails at once, its access tokens expire within minutes (admin)."""
    return s.account_view(app.revoke(who, account, make_grant(*s.grant_in(body)), request_id))


@router.post("/accounts/{account}/code", response_model=r.IssuedCode, tags=ACCOUNTS)
def issue_code(
    account: AccountName, app: Identity, who: CurrentPrincipal, request_id: RequestId, response: Response
) -> dict[str, Any]:
    """A new one-time code (a reset): the password stops working and every session ends (admin)."""
    found, code = app.reset(who, account, request_id)
    _no_store(response)
    view = s.account_view(found)
    return {**{k: view[k] for k in ("account", "name", "subject", "grants", "code_expires_at")}, "one_time_code": code}


@router.post("/accounts/{account}/unlock", response_model=r.AccountView, tags=ACCOUNTS)
def unlock(account: AccountName, app: Identity, who: CurrentPrincipal, request_id: RequestId) -> dict[str, Any]:
    """End a lockout before its time (admin)."""
    return s.account_view(app.unlock(who, account, request_id))


@router.get("/events", response_model=EventFeed, tags=["audit"])
def events(
    app: Identity, who: CurrentPrincipal, request: Request, after: After = 0, limit: FeedPage = 100
) -> dict[str, Any]:
    """Every recorded event in order, as integration-event envelopes (auditor, admin)."""
    who.require_role(Role.AUDITOR, Role.ADMIN)
    return event_feed(app, request.app.state.envelopes, after, limit)


def _choice(body: s.SignIn) -> tuple[str | None, str | None, str | None]:
    return (body.role.value if body.role else None, body.department, body.branch)


def _ring(app: IdentityApplication, schedule: list[dict[str, Any]]) -> dict[str, Any]:
    ring = app.keys.ring
    return {"version": ring.version if isinstance(ring, KeyRing) else 0, "keys": schedule}
