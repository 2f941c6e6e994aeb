"""Sign-in, refresh, sign-out and password change: what a person does with their own account.

A failure says the same for an account that does not exist as for a wrong password, takes as long,
and locks alike after as many; every failure is counted on the account, however many come at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from typing import Any

from eventsourcing.persistence import IntegrityError

from services.identity.core import RETRIES, IdentityCore, utc_now, well_formed
from services.identity.domain import SYSTEM, Account, Grant, account_id, check_new_password, describe
from services.identity.passwords import new_refresh_token, same_digest, token_digest
from services.identity.policy import too_many
from shared.errors import Busy, Forbidden, InvalidInput, NotAuthenticated

WRONG = "the account or the password is wrong"  # the same for an unknown account: nobody learns which exist
FAILURE_RETRIES = 50  # a failed sign-in is counted, however many are sent at once


class PasswordChangeRequired(Forbidden):
    code = "password_change_required"


class SignIns(IdentityCore):
    def sign_in(
        self,
        login: str,
        password: str,
        choice: tuple[str | None, str | None, str | None],
        new_password: str | None = None,
    ) -> dict[str, Any]:
        """Tokens for one of the account's roles; with a one-time code, only with a new password."""
        for _ in range(RETRIES):
            account, kind = self._authenticate(login, password)
            new_ref = None
            try:
                grant = account.choose(*choice)
                if kind == "code" and new_password is None:
                    raise PasswordChangeRequired(
                        "this is a one-time code: send it again with new_password, the password you choose"
                    )
                if new_password is not None:
                    new_ref = self._new_password(account, new_password, password)
                session = uuid.uuid4().hex
                account.sign_in(grant, session, utc_now())
                self.record(account)
            except IntegrityError:
                if new_ref:
                    self.vault.drop_secret(new_ref)
                continue
            except Exception:
                self._record_quietly(account)  # a lockout's end, say, stays recorded
                raise
            if new_ref:  # the old password (or the code) goes, and with it every other session
                self.vault.drop_secrets(account.login, keep=account.password)
                self.vault.end_sessions(account.login)
            self.vault.purge_expired(utc_now())
            return self._tokens(account, grant, session, utc_now() + self.policy.refresh_ttl)
        raise Busy("the account is changing fast; try again")

    def change_password(self, login: str, password: str, new_password: str) -> Account:
        """A new password, given the current one (or a one-time code); every session ends."""
        for _ in range(RETRIES):
            account, _kind = self._authenticate(login, password)
            new_ref = None
            try:
                new_ref = self._new_password(account, new_password, password)
                self.record(account)
            except IntegrityError:
                if new_ref:
                    self.vault.drop_secret(new_ref)
                continue
            except Exception:
                self._record_quietly(account)
                raise
            self.vault.drop_secrets(account.login, keep=account.password)
            self.vault.end_sessions(account.login)
            return account
        raise Busy("the account is changing fast; try again")

    def refresh(self, token: str) -> dict[str, Any]:
        """New tokens for a refresh token, used once; the grant it was for must still be held."""
        now = utc_now()
        row = self.vault.use_refresh(token_digest(token), now)
        if row is None:
            raise NotAuthenticated("the refresh token is not known; sign in again")
        if row.used:
            self.vault.end_session(row.session)
            if self.find(Account, account_id(row.account)) is not None:
                self._change(row.account, None, lambda a: a.refresh_reused(row.session))
            raise NotAuthenticated("this refresh token was used before, so its session is ended; sign in again")
        if row.expires_at <= now:
            raise NotAuthenticated("the refresh token has expired; sign in again")
        account = self.find(Account, account_id(row.account))
        if account is None or not account.holds(row.grant):
            self.vault.end_session(row.session)
            raise NotAuthenticated(f"the role {describe(row.grant)} is no longer yours; sign in again")
        account = self._change(row.account, None, lambda a: a.refresh(row.grant, row.session))
        return self._tokens(account, row.grant, row.session, row.expires_at)

    def sign_out(self, token: str) -> None:
        """End the refresh token's session (a token not known ends nothing, and says nothing)."""
        row = self.vault.use_refresh(token_digest(token), utc_now())
        if row is None:
            return
        self.vault.end_session(row.session)
        if self.find(Account, account_id(row.account)) is not None:
            actor = {"id": row.account, "role": str(row.grant["role"])}
            self._change(row.account, None, lambda a: a.sign_out(row.session, actor))

    def _authenticate(self, login: str, secret: str) -> tuple[Account, str]:
        """The account and what the secret was ("password" or "code"); a failure is recorded (and locks
        the account at the limit) and answered alike for every account, known or not."""
        now = utc_now()
        account = self.find(Account, account_id(login)) if well_formed(login) else None
        if account is None:
            self.unknown.check(login, now)
            self.passwords.decoy(secret)
            self.unknown.fail(login, now, self.policy)
            raise NotAuthenticated(WRONG)
        until = account.locked(now)
        if until is not None:
            raise too_many(until, now)
        if account.lockout_expired(now):
            account.end_lockout(now, SYSTEM, None)
        kind = self._check_secret(account, secret, now)
        if kind in ("password", "code"):
            return account, kind
        # Counted on the account as it is now: guesses sent in parallel each count, none is lost
        with contextlib.suppress(Busy):
            self._change(account.login, None, lambda a: self._failed(a, kind, now), retries=FAILURE_RETRIES)
        if kind == "expired_code":
            raise NotAuthenticated("this one-time code has expired; ask an admin for a new one")
        raise NotAuthenticated(WRONG)

    def _failed(self, account: Account, reason: str, now: dt.datetime) -> None:
        if account.locked(now) is not None:
            return  # a parallel guess locked it already
        if account.lockout_expired(now):
            account.end_lockout(now, SYSTEM, None)
        account.fail_sign_in(reason, now, self.policy.lockout_failures, self.policy.lockout)

    def _check_secret(self, account: Account, secret: str, now: dt.datetime) -> str:
        """What the secret is ("password" or "code"), or why it is neither: wrong_password, wrong_code or
        expired_code."""
        if account.password is not None:
            stored = self.vault.secret(account.password)
            if stored is None or not self.passwords.verify(stored, secret):
                return "wrong_password"
            if self.passwords.needs_rehash(stored):
                self.vault.rehash(account.password, self.passwords.hash(secret))
            return "password"
        stored = self.vault.secret(account.code) if account.code else None
        self.passwords.decoy(secret)  # a code is checked in no time: take a password's time anyway
        if stored is None or not same_digest(stored, secret):
            return "wrong_code"
        return "expired_code" if account.code_expired(now) else "code"

    def _new_password(self, account: Account, new_password: str, old: str) -> str:
        """Hash and keep the new password, then record that it was set (pending); its vault reference."""
        check_new_password(new_password, account.login, account.subject)
        if new_password == old:
            raise InvalidInput("choose a new password different from the current one (or the one-time code)")
        ref = uuid.uuid4().hex
        self.vault.put_secrets([(ref, account.login, "password", self.passwords.hash(new_password))])
        account.set_password(ref, {"id": account.subject, "role": "account"})
        return ref

    def _tokens(self, account: Account, grant: Grant, session: str, refresh_expires: dt.datetime) -> dict[str, Any]:
        now = utc_now()
        refresh = new_refresh_token()
        self.vault.add_refresh(token_digest(refresh), session, account.login, grant, refresh_expires)
        principal = account.principal(grant)
        access = self.issuer(now).mint(principal, int(self.policy.access_ttl.total_seconds()))
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(self.policy.access_ttl.total_seconds()),
            "refresh_token": refresh,
            "refresh_expires_in": max(0, int((refresh_expires - now).total_seconds())),
            "account": account.login,
            "principal": {
                "subject": principal.subject,
                "role": principal.role.value,
                "department": principal.department,
                "branch": principal.branch,
                "name": principal.name,
            },
            "grants": [dict(g) for g in account.grants],
        }
