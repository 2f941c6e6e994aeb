"""What the identity service's commands share: its stores, its policy, the key cache, and loading,
changing and recording an account.

Time here is the system's, not the programme's (a manual programme clock may stand still; tokens
expire by the real one).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from eventsourcing.persistence import IntegrityError

from services.identity.domain import Account, account_id, check_login
from services.identity.keyring import RING_ID, KeyRing
from services.identity.keys import KeyCache
from services.identity.passwords import Passwords, code_digest, new_code
from services.identity.policy import Policy, UnknownLogins
from services.identity.vault import Vault
from shared.application import VanguardApplication
from shared.auth import Principal, Role
from shared.auth.tokens import TokenIssuer
from shared.errors import Busy, Forbidden, InvalidInput, NotFound
from shared.index import LiveIndex

RETRIES = 5


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class IdentityCore(VanguardApplication):
    name = "identity"

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        policy: Policy | None = None,
        passwords: Passwords | None = None,
        **clock: Any,
    ) -> None:
        super().__init__(env, **clock)
        self.policy = policy or Policy()
        self.passwords = passwords or Passwords(2, 19 * 1024, 1)
        self.vault = Vault(self.recorder.datastore)  # type: ignore[attr-defined]
        self.index = LiveIndex(self)
        self.keys = KeyCache(self.policy.key_lifetime)
        self.unknown = UnknownLogins()

    def close(self) -> None:
        self.passwords.close()
        super().close()

    def authorise_admin(self, who: Principal) -> None:
        """An admin, whose grant still stands if it is one of ours (a revoked admin stops at once here)."""
        who.require_role(Role.ADMIN)
        ours = [a for a in self.index.select(Account, subject=who.subject) if isinstance(a, Account)]
        wanted = {"role": Role.ADMIN.value, "department": who.department, "branch": who.branch}
        if ours and not any(a.holds(wanted) for a in ours):
            raise Forbidden(f"the admin role of {who.subject} was revoked; sign in again")

    def _issue_codes(self, accounts: list[Account], actor: dict[str, str], request_id: str | None) -> dict[str, str]:
        """A fresh one-time code for each account (pending events); their hashes go to the vault first."""
        codes, rows = {}, []
        expires = utc_now() + self.policy.code_ttl
        for account in accounts:
            code, ref = new_code(), uuid.uuid4().hex
            rows.append((ref, account.login, "code", code_digest(code)))
            account.issue_code(ref, expires, actor, request_id)
            codes[account.login] = code
        self.vault.put_secrets(rows)
        return codes

    def issuer(self, now: dt.datetime) -> TokenIssuer:
        self.fresh_keys()
        return TokenIssuer(self.keys.signer(now), self.policy.issuer, self.policy.audience)

    def fresh_keys(self) -> None:
        if self.keys.stale:
            self.reload_keys()

    def reload_keys(self) -> None:
        ring = self.find(KeyRing, RING_ID)
        if ring is None:
            return
        now = utc_now()
        self.keys.load(ring, self.vault.private_keys(self.keys.missing(ring, now)), now)

    def _get(self, login: str) -> Account:
        account = self.find(Account, account_id(login)) if well_formed(login) else None
        if account is None:
            raise NotFound(f"no account {login[:64]}")
        return account

    def _change(
        self, login: str, request_id: str | None, act: Callable[[Account], None], retries: int = RETRIES
    ) -> Account:
        """Load, act, record; a concurrent change is retried on the fresh account."""
        for _ in range(retries):
            account = self._get(login)
            if account.answered(request_id):
                return account
            act(account)
            if not account.pending_events:
                return account
            try:
                self.record(account)
            except IntegrityError:
                continue
            return account
        raise Busy("the account is changing fast; try again")

    def _record_quietly(self, account: Account) -> None:
        """Record what is pending (a failure, a lockout's end) when a request fails anyway."""
        if not account.pending_events:
            return
        with contextlib.suppress(IntegrityError):  # a concurrent request recorded its own: this one's is moot
            self.record(account)


def well_formed(login: str) -> bool:
    try:
        check_login(login)
    except InvalidInput:
        return False
    return True
