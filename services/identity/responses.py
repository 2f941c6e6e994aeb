"""What the identity API answers: accounts, tokens, one-time codes (once), keys."""

from __future__ import annotations

from pydantic import Field

from shared.views import Moment, Version, View


class GrantView(View):
    """A role with its scope (an access token carries one)."""

    role: str = Field(examples=["secretary"])
    department: str | None = Field(examples=["fgw"])
    branch: str | None = Field(examples=["fgw-b1"])


class Origin(View):
    department: str = Field(examples=["fgw"])
    branch: str = Field(examples=["fgw-b1"])


class AccountView(View):
    """账号: an account, its roles and the state of its sign-in (never a secret)."""

    account: str = Field(examples=["s-fgw-1"])
    id: str
    version: Version
    subject: str = Field(description="the tokens' sub", examples=["s-fgw-1"])
    name: str = Field(examples=["王强"])
    origin: Origin | None = Field(description="where the registry has this person; null for staff")
    grants: list[GrantView]
    password_set: bool
    code_pending: bool = Field(description="a one-time code waits to be used")
    code_expires_at: Moment | None
    failures: int = Field(description="failed sign-ins in a row")
    locked_until: Moment | None
    last_signed_in_at: Moment | None
    created_at: Moment
    modified_at: Moment


class OpenedAccount(AccountView):
    one_time_code: str | None = Field(
        description="for the first sign-in; shown in this answer only (null when a retried request repeats it)",
        examples=["7K3M-Q9PZ-2XWD-H4NB"],
    )


class IssuedCode(View):
    account: str = Field(examples=["s-fgw-1"])
    name: str = Field(examples=["王强"])
    subject: str = Field(examples=["s-fgw-1"])
    grants: list[GrantView]
    one_time_code: str | None = Field(description="shown in this answer only", examples=["7K3M-Q9PZ-2XWD-H4NB"])
    code_expires_at: Moment | None


class Conflict(View):
    account: str = Field(examples=["m-001"])
    department: str = Field(examples=["zwb"])
    branch: str = Field(examples=["zwb-b5"])
    reason: str


class Imported(View):
    """Accounts made for the registry's people, with their codes; those known already are left as they are."""

    created: list[IssuedCode]
    known: list[str] = Field(description="accounts that existed already (unchanged)")
    conflicts: list[Conflict] = Field(description="people given no account, and why")


class Principal(View):
    subject: str = Field(examples=["s-fgw-1"])
    role: str = Field(examples=["secretary"])
    department: str | None = Field(examples=["fgw"])
    branch: str | None = Field(examples=["fgw-b1"])
    name: str | None = Field(examples=["王强"])


class Session(View):
    """Tokens: a short-lived access token (a JWT for `Authorization: Bearer`) and a refresh token
    (opaque, used once: its answer carries the next one)."""

    access_token: str
    token_type: str = Field(examples=["Bearer"])
    expires_in: int = Field(description="seconds the access token lives", examples=[300])
    refresh_token: str
    refresh_expires_in: int = Field(description="seconds until the session ends", examples=[43200])
    account: str = Field(examples=["s-fgw-1"])
    principal: Principal
    grants: list[GrantView] = Field(description="every role the account holds (sign in again for another)")


class SignedOut(View):
    detail: str = Field(examples=["signed out: the session has ended"])


class PasswordChanged(View):
    account: str = Field(examples=["s-fgw-1"])
    version: Version
    detail: str = Field(examples=["password changed; every session has ended: sign in again"])


class KeyState(View):
    kid: str = Field(examples=["ed-3f9a0c1b2d4e"])
    state: str = Field(description="next, current, previous or retired", examples=["current"])
    signs_from: Moment
    signs_until: Moment | None
    published_until: Moment | None = Field(description="when it leaves the JWKS (its last token has expired)")


class KeyRingView(View):
    version: Version
    keys: list[KeyState]


class Jwk(View):
    kty: str = Field(examples=["OKP"])
    crv: str = Field(examples=["Ed25519"])
    x: str
    kid: str
    alg: str = Field(examples=["EdDSA"])
    use: str = Field(examples=["sig"])


class Jwks(View):
    keys: list[Jwk]
