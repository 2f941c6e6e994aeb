"""Request bodies of the identity API, and the views built from its aggregates."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field

from services.identity.domain import LOGIN, MAX_CODE, MAX_LOGIN, MAX_NAME, MAX_PASSWORD, Account
from shared.api.bodies import SINGLE_LINE, Strict
from shared.auth import Role

Login = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_LOGIN,
        pattern=f"^{LOGIN.pattern}$",
        description="an account name: letters, digits and . _ @ -",
        examples=["s-fgw-1"],
    ),
]
Code = Annotated[str, Field(min_length=1, max_length=MAX_CODE), SINGLE_LINE]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME), SINGLE_LINE]
Title = Annotated[str, Field(min_length=1, max_length=200), SINGLE_LINE]
# Passwords are taken as typed: not trimmed, one line, at most MAX_PASSWORD characters.
Password = Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD), SINGLE_LINE]


class Secret(Strict):
    """A body carrying a password: as Strict, but blanks around it are part of it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class SignIn(Secret):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"account": "s-fgw-1", "password": "correct horse battery staple"},
                {"account": "s-fgw-1", "password": "7K3M-Q9PZ-2XWD-H4NB", "new_password": "correct horse battery"},
                {"account": "li.yang", "password": "correct horse battery staple", "role": "secretary"},
            ]
        }
    )

    account: Login
    password: Password = Field(description="the password, or the one-time code an admin gave")
    new_password: Password | None = Field(
        default=None, description="required with a one-time code: the password chosen for next time"
    )
    role: Role | None = Field(default=None, description="which of the account's roles to sign in for")
    department: Code | None = None
    branch: Code | None = None


class ChangePassword(Secret):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"account": "s-fgw-1", "password": "the current one", "new_password": "a new long one"}]
        }
    )

    account: Login
    password: Password = Field(description="the current password (or a one-time code)")
    new_password: Password


class RefreshToken(Strict):
    refresh_token: Annotated[str, Field(min_length=1, max_length=200), SINGLE_LINE]


class GrantBody(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"role": "committee", "department": "fgw"}, {"role": "inspector"}]}
    )

    role: Role
    department: Code | None = None
    branch: Code | None = None


class OpenAccount(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"account": "zhang.wei", "name": "张伟", "grants": [{"role": "inspector"}]},
                {"account": "fgw.committee", "name": "赵敏", "grants": [{"role": "committee", "department": "fgw"}]},
            ]
        }
    )

    account: Login
    name: Name
    subject: Login | None = Field(default=None, description="the tokens' subject (default: the account name)")
    grants: Annotated[list[GrantBody], Field(max_length=20)] = Field(default_factory=list)


class Person(Strict):
    id: Annotated[str, Field(min_length=1, max_length=MAX_CODE), SINGLE_LINE]
    name: Name


class BranchEntry(Strict):
    code: Code
    name: Title
    secretary: Person
    members: Annotated[list[Person], Field(max_length=5000)] = Field(default_factory=list)


class DepartmentEntry(Strict):
    code: Code
    name: Title
    branches: Annotated[list[BranchEntry], Field(max_length=2000)] = Field(default_factory=list)


class Organisation(Strict):
    """The organisation registry, as filing's POST /organisation takes it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
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
                                }
                            ],
                        }
                    ]
                }
            ]
        }
    )

    departments: Annotated[list[DepartmentEntry], Field(max_length=500)]


def grant_in(body: GrantBody) -> tuple[str, str | None, str | None]:
    return body.role.value, body.department, body.branch


def account_view(account: Account) -> dict[str, Any]:
    return {
        "account": account.login,
        "id": str(account.id),
        "version": account.version,
        "subject": account.subject,
        "name": account.name,
        "origin": account.origin,
        "grants": [dict(g) for g in account.grants],
        "password_set": account.password is not None,
        "code_pending": account.code is not None,
        "code_expires_at": account.code_expires_at,
        "failures": account.failures,
        "locked_until": account.locked_until,
        "last_signed_in_at": account.last_signed_in_at,
        "created_at": account.created_on.isoformat(),
        "modified_at": account.modified_on.isoformat(),
    }
