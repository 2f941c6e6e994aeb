"""Accounts (账号) and what happens to them: roles granted and revoked, passwords and one-time codes
set, sign-ins, failures, lockouts. Pure domain, no I/O, and no secret: an event names the vault row
(a random reference) that holds a hash, never the hash itself, so events can go to Kafka, to the
projection's audit trail and to auditors.
"""

from __future__ import annotations

import datetime as dt
import re
from uuid import UUID

from eventsourcing.domain import event

from shared.auth import Principal, Role
from shared.domain import VanguardAggregate, check, derived_id, require, text
from shared.errors import Forbidden, InvalidInput

MAX_LOGIN = 64
MAX_NAME = 100
MAX_CODE = 64  # department and branch codes, as the registry has them
MIN_PASSWORD = 10
MAX_PASSWORD = 256  # argon2 is fed this many characters at most: a megabyte would be a free DoS
LOGIN = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._@-]{{0,{MAX_LOGIN - 1}}}")
LOGIN_RULE = f"1–{MAX_LOGIN} letters, digits and . _ @ - (starting with a letter or digit)"
SYSTEM = {"id": "identity", "role": "system"}
ANONYMOUS = {"id": "anonymous", "role": "anonymous"}  # whoever typed a password that failed
BRANCH_ROLES = frozenset({Role.SECRETARY, Role.MEMBER})  # act for one branch of one department
DEPARTMENT_ROLES = frozenset({Role.COMMITTEE})  # act for one department
Grant = dict[str, str | None]  # {"role", "department", "branch"}


def account_id(login: str) -> UUID:
    return derived_id("account", "identity", login)


def check_login(login: str) -> str:
    check(LOGIN.fullmatch(login) is not None, f"account '{login[:MAX_LOGIN]}' is not {LOGIN_RULE}")
    return login


def make_grant(role: str, department: str | None = None, branch: str | None = None) -> Grant:
    """A role with its scope, checked: secretaries and members act for a branch, a committee for a
    department, the cross-department roles (inspector, panelist, auditor, organiser, admin) for all,
    or for a department and branch of their own if given (a panelist's, for 回避)."""
    try:
        chosen = Role(role)
    except ValueError:
        raise InvalidInput(f"unknown role '{role[:40]}'; roles: {', '.join(r.value for r in Role)}") from None
    department = text(department, "department", MAX_CODE) if department else None
    branch = text(branch, "branch", MAX_CODE) if branch else None
    if chosen in BRANCH_ROLES:
        check(bool(department and branch), f"a {chosen.value} is granted for a department and a branch")
    elif chosen in DEPARTMENT_ROLES:
        check(department is not None and branch is None, f"a {chosen.value} is granted for a department only")
    else:
        check(branch is None or department is not None, "a branch is given only with its department")
    return {"role": chosen.value, "department": department, "branch": branch}


def describe(grant: Grant) -> str:
    """secretary@fgw/fgw-b1, committee@fgw, auditor."""
    where = "/".join(p for p in (grant["department"], grant["branch"]) if p)
    return f"{grant['role']}@{where}" if where else str(grant["role"])


def check_new_password(password: str, login: str, subject: str) -> str:
    check(len(password) >= MIN_PASSWORD, f"a password needs at least {MIN_PASSWORD} characters")
    check(len(password) <= MAX_PASSWORD, f"a password has at most {MAX_PASSWORD} characters")
    lowered = password.lower()
    check(
        login.lower() not in lowered and subject.lower() not in lowered,
        "a password must not contain the account's name or id",
    )
    check(len(set(password)) >= 4, "a password needs at least 4 different characters")
    return password


class Account(VanguardAggregate):
    """An account (账号): a person of the registry or a member of staff, and the roles they hold."""

    @event("Opened")
    def __init__(
        self,
        login: str,
        subject: str,
        name: str,
        origin: dict[str, str] | None,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.department = "*"  # cross-department: auditors read it, no department's committee does
        self.branch = None
        self.login = login
        self.subject = subject  # the tokens' `sub`: a registry member's id, as tasking knows them
        self.name = name
        self.origin = origin  # {"department", "branch"} of a registry person; None for staff
        self.grants: list[Grant] = []
        self.password: str | None = None  # the vault reference of the password's hash
        self.code: str | None = None  # the vault reference of a pending one-time code's hash
        self.code_expires_at: str | None = None
        self.failures = 0  # failed sign-ins in a row
        self.locked_until: str | None = None
        self.last_signed_in_at: str | None = None
        self._remember(request_id)

    @classmethod
    def open(
        cls,
        login: str,
        subject: str,
        name: str,
        origin: dict[str, str] | None,
        actor: dict[str, str],
        request_id: str | None,
    ) -> Account:
        return cls._create(
            cls.Opened,
            id=account_id(check_login(login)),
            login=login,
            subject=text(subject, "subject", MAX_LOGIN),
            name=text(name, "name", MAX_NAME),
            origin=origin,
            actor=actor,
            request_id=request_id,
        )

    # -- roles ------------------------------------------------------------------------------------

    def holds(self, grant: Grant) -> bool:
        return grant in self.grants

    def grant(self, grant: Grant, actor: dict[str, str], request_id: str | None) -> None:
        require(not self.holds(grant), f"account {self.login} already holds {describe(grant)}")
        self._role_granted(grant=grant, actor=actor, request_id=request_id)

    @event("RoleGranted")
    def _role_granted(self, grant: Grant, actor: dict[str, str], request_id: str | None) -> None:
        self.grants.append(dict(grant))
        self._remember(request_id)

    def revoke(self, grant: Grant, actor: dict[str, str], request_id: str | None) -> None:
        held = ", ".join(describe(g) for g in self.grants) or "none"
        require(self.holds(grant), f"account {self.login} does not hold {describe(grant)}; it holds: {held}")
        self._role_revoked(grant=grant, actor=actor, request_id=request_id)

    @event("RoleRevoked")
    def _role_revoked(self, grant: Grant, actor: dict[str, str], request_id: str | None) -> None:
        self.grants.remove(grant)
        self._remember(request_id)

    def choose(self, role: str | None, department: str | None, branch: str | None) -> Grant:
        """The grant a sign-in is for: the only one held, or the one the choice names."""
        if not self.grants:
            raise Forbidden("this account holds no role; ask an admin to grant one")
        matching = [
            g
            for g in self.grants
            if role in (None, g["role"]) and department in (None, g["department"]) and branch in (None, g["branch"])
        ]
        if len(matching) == 1:
            return matching[0]
        if not matching:
            held = ", ".join(describe(g) for g in self.grants)
            raise Forbidden(f"this account holds no such role; it holds: {held}", grants=self.grants)
        choices = ", ".join(describe(g) for g in matching)
        raise InvalidInput(
            f"this account holds several roles; choose one with role, department and branch: {choices}",
            grants=matching,
        )

    def principal(self, grant: Grant) -> Principal:
        return Principal(self.subject, Role(grant["role"]), grant["department"], grant["branch"], self.name)

    # -- passwords and one-time codes -------------------------------------------------------------

    def issue_code(self, ref: str, expires_at: dt.datetime, actor: dict[str, str], request_id: str | None) -> None:
        """A one-time code for the first sign-in, or a reset: the password it replaces stops working."""
        self._code_issued(credential=ref, expires_at=expires_at.isoformat(), actor=actor, request_id=request_id)

    @event("CodeIssued")
    def _code_issued(self, credential: str, expires_at: str, actor: dict[str, str], request_id: str | None) -> None:
        self.code = credential
        self.code_expires_at = expires_at
        self.password = None
        self._remember(request_id)

    def code_expired(self, now: dt.datetime) -> bool:
        return self.code_expires_at is not None and dt.datetime.fromisoformat(self.code_expires_at) <= now

    def set_password(self, ref: str, actor: dict[str, str]) -> None:
        """The first password, chosen with a one-time code (PasswordSet), or a new one (PasswordChanged)."""
        if self.password is None:
            self._password_set(credential=ref, actor=actor, request_id=None)
        else:
            self._password_changed(credential=ref, actor=actor, request_id=None)

    @event("PasswordSet")
    def _password_set(self, credential: str, actor: dict[str, str], request_id: str | None) -> None:
        self.password, self.code, self.code_expires_at = credential, None, None
        self.failures = 0  # the one who set it knew the secret before

    @event("PasswordChanged")
    def _password_changed(self, credential: str, actor: dict[str, str], request_id: str | None) -> None:
        self.password, self.code, self.code_expires_at = credential, None, None
        self.failures = 0

    # -- sign-in, failures and lockouts -----------------------------------------------------------

    def locked(self, now: dt.datetime) -> dt.datetime | None:
        """Until when the account is locked, if it is now."""
        if self.locked_until is None:
            return None
        until = dt.datetime.fromisoformat(self.locked_until)
        return until if until > now else None

    def fail_sign_in(self, reason: str, now: dt.datetime, limit: int, lockout: dt.timedelta) -> None:
        """A failed sign-in; the `limit`-th in a row locks the account for `lockout`."""
        failures = self.failures + 1
        self._sign_in_failed(reason=reason, failures=failures, actor=ANONYMOUS, request_id=None)
        if failures >= limit:
            self._locked_out(until=(now + lockout).isoformat(), failures=failures, actor=SYSTEM, request_id=None)

    @event("SignInFailed")
    def _sign_in_failed(self, reason: str, failures: int, actor: dict[str, str], request_id: str | None) -> None:
        self.failures = failures

    @event("LockedOut")
    def _locked_out(self, until: str, failures: int, actor: dict[str, str], request_id: str | None) -> None:
        self.locked_until = until

    def end_lockout(self, now: dt.datetime, actor: dict[str, str], request_id: str | None) -> None:
        """The lockout ends: its time ran out (recorded at the next attempt), or an admin unlocked it."""
        require(self.locked_until is not None, f"account {self.login} is not locked")
        reason = "expired" if self.locked(now) is None else "unlocked"
        self._lockout_ended(reason=reason, actor=actor, request_id=request_id)

    def lockout_expired(self, now: dt.datetime) -> bool:
        return self.locked_until is not None and self.locked(now) is None

    @event("LockoutEnded")
    def _lockout_ended(self, reason: str, actor: dict[str, str], request_id: str | None) -> None:
        self.locked_until = None
        self.failures = 0
        self._remember(request_id)

    def sign_in(self, grant: Grant, session: str, now: dt.datetime) -> None:
        require(self.holds(grant), f"account {self.login} does not hold {describe(grant)}")
        actor = self.principal(grant).as_actor()
        self._signed_in(grant=grant, session=session, at=now.isoformat(), actor=actor, request_id=None)

    @event("SignedIn")
    def _signed_in(self, grant: Grant, session: str, at: str, actor: dict[str, str], request_id: str | None) -> None:
        self.failures = 0
        self.last_signed_in_at = at

    def refresh(self, grant: Grant, session: str) -> None:
        require(self.holds(grant), f"account {self.login} no longer holds {describe(grant)}")
        self._refreshed(grant=grant, session=session, actor=self.principal(grant).as_actor(), request_id=None)

    @event("Refreshed")
    def _refreshed(self, grant: Grant, session: str, actor: dict[str, str], request_id: str | None) -> None:
        pass

    def refresh_reused(self, session: str) -> None:
        """A refresh token was sent a second time: stolen, or a client's bug. Its session is ended."""
        self._refresh_reused(session=session, actor=ANONYMOUS, request_id=None)

    @event("RefreshReused")
    def _refresh_reused(self, session: str, actor: dict[str, str], request_id: str | None) -> None:
        pass

    def sign_out(self, session: str, actor: dict[str, str]) -> None:
        self._signed_out(session=session, actor=actor, request_id=None)

    @event("SignedOut")
    def _signed_out(self, session: str, actor: dict[str, str], request_id: str | None) -> None:
        pass
