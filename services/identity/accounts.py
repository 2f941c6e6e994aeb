"""Accounts and their roles, as an admin keeps them: staff accounts, the registry's people, grants,
revocations, resets and unlocks; and the first admins at a deployment's first start."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import IntegrityError

from services.identity.core import IdentityCore, utc_now, well_formed
from services.identity.domain import LOGIN_RULE, SYSTEM, Account, Grant, account_id, check_login
from shared.auth import Principal, Role
from shared.errors import InvalidTransition

BATCH = 200  # accounts recorded per transaction by an import


class Accounts(IdentityCore):
    def open_account(
        self, who: Principal, login: str, subject: str | None, name: str, grants: list[Grant], request_id: str | None
    ) -> tuple[Account, str | None]:
        """A staff account with its roles and a one-time code (returned once: only its hash is kept)."""
        self.authorise_admin(who)
        check_login(login)
        existing = self.find(Account, account_id(login))
        if existing is not None:
            if existing.answered(request_id):
                return existing, None
            raise InvalidTransition(f"account {login} already exists")
        account = Account.open(login, subject or login, name, None, who.as_actor(), request_id)
        for grant in _distinct(grants):
            account.grant(grant, who.as_actor(), request_id)
        codes = self._issue_codes([account], who.as_actor(), request_id)
        try:
            self.record(account)
        except IntegrityError:
            self.vault.drop_secret(str(account.code))
            raise InvalidTransition(f"account {login} already exists") from None
        return account, codes[login]

    def import_registry(self, who: Principal, departments: list[dict[str, Any]], request_id: str | None) -> dict:
        """An account for each secretary and member of the registry not yet known, with a one-time code."""
        self.authorise_admin(who)
        people: dict[str, dict[str, Any]] = {}
        conflicts: list[dict[str, str]] = []
        for department in departments:
            for branch in department.get("branches", []):
                here = {"department": department["code"], "branch": branch["code"]}
                roles = [(branch["secretary"], Role.SECRETARY)] + [(m, Role.MEMBER) for m in branch.get("members", [])]
                for person, role in roles:
                    grant = {"role": role.value, **here}
                    seen = people.setdefault(person["id"], {"person": person, "origin": here, "grants": []})
                    if seen["origin"]["department"] != here["department"]:
                        conflicts.append(_conflict(person["id"], here, "the same id in two departments"))
                    elif grant not in seen["grants"]:
                        seen["grants"].append(grant)
        created, known = [], []
        fresh: list[Account] = []
        accounts = {a.login: a for a in self.index.select(Account) if isinstance(a, Account)}  # one read, not one each
        for login, entry in people.items():
            if not well_formed(login):
                conflicts.append(_conflict(login, entry["origin"], f"an account name is {LOGIN_RULE}"))
                continue
            existing = accounts.get(login)
            if existing is None:
                fresh.append(self._registry_account(login, entry, who, request_id))
            elif existing.origin is not None and existing.origin["department"] == entry["origin"]["department"]:
                known.append(login)
            else:
                conflicts.append(_conflict(login, entry["origin"], "an account of that name belongs to someone else"))
        for start in range(0, len(fresh), BATCH):
            batch = fresh[start : start + BATCH]
            codes = self._issue_codes(batch, who.as_actor(), request_id)
            try:
                self.record(*batch)
            except IntegrityError:  # a twin import recorded some of them meanwhile: the others one by one
                for account in batch:
                    self.vault.drop_secret(str(account.code))
                batch, codes = self._record_each([a.login for a in batch], people, who, request_id)
                known += [a.login for a in fresh[start : start + BATCH] if a.login not in codes]
            created += [{**_summary(a), "one_time_code": codes[a.login]} for a in batch]
        return {"created": created, "known": known, "conflicts": conflicts}

    def _registry_account(self, login: str, entry: dict[str, Any], who: Principal, request_id: str | None) -> Account:
        account = Account.open(login, login, entry["person"]["name"], entry["origin"], who.as_actor(), request_id)
        for grant in entry["grants"]:
            account.grant(grant, who.as_actor(), request_id)
        return account

    def _record_each(
        self, logins: list[str], people: dict[str, dict[str, Any]], who: Principal, request_id: str | None
    ) -> tuple[list[Account], dict[str, str]]:
        recorded, codes = [], {}
        for login in logins:
            if self.find(Account, account_id(login)) is not None:
                continue
            account = self._registry_account(login, people[login], who, request_id)
            code = self._issue_codes([account], who.as_actor(), request_id)
            try:
                self.record(account)
            except IntegrityError:
                self.vault.drop_secret(str(account.code))
                continue
            recorded.append(account)
            codes.update(code)
        return recorded, codes

    def account(self, who: Principal, login: str) -> Account:
        self.authorise_admin(who)
        return self._get(login)

    def accounts(self, who: Principal, role: str | None, department: str | None) -> list[Account]:
        self.authorise_admin(who)
        found = [a for a in self.index.select(Account) if isinstance(a, Account)]
        if role or department:
            found = [
                a
                for a in found
                if any(role in (None, g["role"]) and department in (None, g["department"]) for g in a.grants)
            ]
        return sorted(found, key=lambda a: a.login)

    def grant(self, who: Principal, login: str, grant: Grant, request_id: str | None) -> Account:
        self.authorise_admin(who)
        return self._change(login, request_id, lambda a: a.grant(grant, who.as_actor(), request_id))

    def revoke(self, who: Principal, login: str, grant: Grant, request_id: str | None) -> Account:
        self.authorise_admin(who)
        if grant["role"] == Role.ADMIN.value and self._get(login).subject == who.subject:
            raise InvalidTransition("an admin does not revoke their own admin role; ask another admin")
        return self._change(login, request_id, lambda a: a.revoke(grant, who.as_actor(), request_id))

    def reset(self, who: Principal, login: str, request_id: str | None) -> tuple[Account, str | None]:
        """A new one-time code (the password stops working, sessions end, a lockout ends)."""
        self.authorise_admin(who)
        code: dict[str, str] = {}

        def act(account: Account) -> None:
            if account.locked_until is not None:
                account.end_lockout(utc_now(), who.as_actor(), request_id)
            code.update(self._issue_codes([account], who.as_actor(), request_id))

        account = self._change(login, request_id, act)
        if login not in code:
            return account, None  # a retried request: the code went out in the first answer
        self.vault.drop_secrets(login, keep=account.code)
        self.vault.end_sessions(login)
        return account, code[login]

    def unlock(self, who: Principal, login: str, request_id: str | None) -> Account:
        self.authorise_admin(who)
        return self._change(login, request_id, lambda a: a.end_lockout(utc_now(), who.as_actor(), request_id))

    def bootstrap_admins(self, logins: list[str]) -> dict[str, str]:
        """Admin accounts for these names if they do not exist yet, each with a one-time code."""
        codes: dict[str, str] = {}
        for login in logins:
            check_login(login)
            if self.find(Account, account_id(login)) is not None:
                continue
            account = Account.open(login, login, login, None, SYSTEM, None)
            account.grant({"role": Role.ADMIN.value, "department": None, "branch": None}, SYSTEM, None)
            issued = self._issue_codes([account], SYSTEM, None)
            try:
                self.record(account)
            except IntegrityError:  # another worker opened it: its code is the one logged
                self.vault.drop_secret(str(account.code))
                continue
            codes.update(issued)
        return codes


def _distinct(grants: list[Grant]) -> list[Grant]:
    out: list[Grant] = []
    for grant in grants:
        if grant not in out:
            out.append(grant)
    return out


def _conflict(login: str, where: dict[str, str], reason: str) -> dict[str, str]:
    return {"account": login, "department": where["department"], "branch": where["branch"], "reason": reason}


def _summary(account: Account) -> dict[str, Any]:
    return {
        "account": account.login,
        "subject": account.subject,
        "name": account.name,
        "grants": [dict(g) for g in account.grants],
        "code_expires_at": account.code_expires_at,
    }
