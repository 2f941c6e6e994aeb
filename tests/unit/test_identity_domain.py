"""Accounts, grants, lockouts and the key ring as pure domain rules; codes and hashes without a database."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from services.identity.domain import (
    ANONYMOUS,
    SYSTEM,
    Account,
    Grant,
    account_id,
    check_login,
    check_new_password,
    describe,
    make_grant,
)
from services.identity.keyring import RING_ID, KeyRing
from services.identity.passwords import Passwords, code_digest, new_code, same_digest, token_digest
from services.identity.policy import Policy, UnknownLogins
from shared.auth import Role
from shared.auth.keys import SigningKey
from shared.errors import Forbidden, InvalidInput, InvalidTransition, TooManyRequests

ADMIN = {"id": "root", "role": "admin"}
NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
LOCKOUT = dt.timedelta(minutes=15)
SECRETARY = make_grant("secretary", "fgw", "fgw-b1")
COMMITTEE = make_grant("committee", "fgw")


def opened(*grants: Grant, login: str = "s-fgw-1") -> Account:
    account = Account.open(login, login, "王强", {"department": "fgw", "branch": "fgw-b1"}, ADMIN, "import-1")
    for grant in grants:
        account.grant(grant, ADMIN, "import-1")
    return account


def failed(account: Account, times: int, now: dt.datetime = NOW) -> None:
    for _ in range(times):
        account.fail_sign_in("wrong_password", now, 5, LOCKOUT)


def replay(account: Account) -> Any:
    state = None
    for domain_event in account.collect_events():
        state = domain_event.mutate(state)
    return state


# -- grants -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "department", "branch", "expected"),
    [
        ("secretary", "fgw", "fgw-b1", "secretary@fgw/fgw-b1"),
        ("member", "fgw", "fgw-b1", "member@fgw/fgw-b1"),
        ("committee", "fgw", None, "committee@fgw"),
        ("inspector", None, None, "inspector"),
        ("panelist", "fgw", "fgw-b2", "panelist@fgw/fgw-b2"),
        ("auditor", None, None, "auditor"),
        ("organiser", None, None, "organiser"),
        ("admin", None, None, "admin"),
    ],
)
def test_each_role_is_granted_with_the_scope_it_acts_in(
    role: str, department: str | None, branch: str | None, expected: str
) -> None:
    assert describe(make_grant(role, department, branch)) == expected


@pytest.mark.parametrize(
    ("role", "department", "branch", "message"),
    [
        ("secretary", "fgw", None, "a secretary is granted for a department and a branch"),
        ("member", None, None, "a member is granted for a department and a branch"),
        ("committee", None, None, "a committee is granted for a department only"),
        ("committee", "fgw", "fgw-b1", "a committee is granted for a department only"),
        ("auditor", None, "fgw-b1", "a branch is given only with its department"),
        ("king", None, None, "unknown role 'king'; roles: committee, secretary, member, inspector, panelist"),
        ("member", "fgw", "b\x00", "branch contains the control character U+0000 at position 1"),
        ("member", "f" * 65, "b", "department is 65 characters long; at most 64 allowed"),
    ],
)
def test_a_grant_out_of_its_roles_scope_is_refused(
    role: str, department: str | None, branch: str | None, message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        make_grant(role, department, branch)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize("login", ["s-fgw-1", "zhang.wei", "ops@city", "A", "a" * 64])
def test_account_names_are_letters_digits_and_a_few_marks(login: str) -> None:
    assert check_login(login) == login


@pytest.mark.parametrize("login", ["", "-lead", "a b", "fgw/m-1", "王五", "a" * 65, "m\x00"])
def test_other_account_names_are_refused(login: str) -> None:
    with pytest.raises(InvalidInput, match="is not 1–64 letters, digits"):
        check_login(login)


def test_an_account_holds_what_was_granted_and_not_what_was_revoked() -> None:
    account = opened(SECRETARY, COMMITTEE)
    account.revoke(COMMITTEE, ADMIN, "revoke-1")
    assert account.grants == [SECRETARY] and account.holds(SECRETARY) and not account.holds(COMMITTEE)
    with pytest.raises(InvalidTransition, match="does not hold committee@fgw; it holds: secretary@fgw/fgw-b1"):
        account.revoke(COMMITTEE, ADMIN, "revoke-2")
    with pytest.raises(InvalidTransition, match="already holds secretary@fgw/fgw-b1"):
        account.grant(SECRETARY, ADMIN, "grant-2")
    assert account.answered("revoke-1") and not account.answered("revoke-2")


def test_a_sign_in_is_for_the_only_role_or_the_one_chosen() -> None:
    assert opened(SECRETARY).choose(None, None, None) == SECRETARY
    account = opened(SECRETARY, COMMITTEE, make_grant("member", "fgw", "fgw-b1"))
    assert account.choose("committee", None, None) == COMMITTEE
    assert account.choose("secretary", "fgw", "fgw-b1") == SECRETARY
    with pytest.raises(InvalidInput) as several:
        account.choose(None, "fgw", "fgw-b1")
    assert str(several.value).endswith(
        "choose one with role, department and branch: secretary@fgw/fgw-b1, member@fgw/fgw-b1"
    )
    assert several.value.details["grants"] == [SECRETARY, make_grant("member", "fgw", "fgw-b1")]
    with pytest.raises(Forbidden, match="holds no such role"):
        account.choose("secretary", "zwb", None)
    with pytest.raises(Forbidden, match="holds no role; ask an admin"):
        opened().choose(None, None, None)


def test_the_principal_of_a_grant_carries_the_accounts_subject_and_name() -> None:
    who = opened(SECRETARY).principal(SECRETARY)
    assert (who.subject, who.role, who.department, who.branch, who.name) == (
        "s-fgw-1",
        Role.SECRETARY,
        "fgw",
        "fgw-b1",
        "王强",
    )


# -- failures and lockouts ----------------------------------------------------------------------------


def test_the_fifth_failure_in_a_row_locks_the_account_for_the_lockout() -> None:
    account = opened(SECRETARY)
    failed(account, 4)
    assert account.failures == 4 and account.locked(NOW) is None
    failed(account, 1)
    assert account.locked(NOW) == NOW + LOCKOUT
    assert account.locked(NOW + LOCKOUT) is None and account.lockout_expired(NOW + LOCKOUT)
    names = [type(e).__name__ for e in account.pending_events]
    assert names[-6:] == [*["SignInFailed"] * 5, "LockedOut"]
    assert account.pending_events[-1].actor == SYSTEM and account.pending_events[-2].actor == ANONYMOUS


def test_a_lockout_ends_by_itself_or_by_an_admin_and_the_count_starts_again() -> None:
    by_time, by_admin = opened(SECRETARY), opened(SECRETARY)
    failed(by_time, 5)
    failed(by_admin, 5)
    by_time.end_lockout(NOW + LOCKOUT, SYSTEM, None)
    by_admin.end_lockout(NOW + dt.timedelta(minutes=1), ADMIN, "unlock-1")
    assert [e.reason for e in (by_time.pending_events[-1], by_admin.pending_events[-1])] == ["expired", "unlocked"]
    for account in (by_time, by_admin):
        assert account.locked_until is None and account.failures == 0
        with pytest.raises(InvalidTransition, match="is not locked"):
            account.end_lockout(NOW, ADMIN, None)


def test_a_sign_in_resets_the_failures_and_needs_a_held_grant() -> None:
    account = opened(SECRETARY)
    failed(account, 3)
    account.sign_in(SECRETARY, "session-1", NOW)
    assert account.failures == 0 and account.last_signed_in_at == NOW.isoformat()
    assert account.pending_events[-1].actor == {
        "id": "s-fgw-1",
        "role": "secretary",
        "department": "fgw",
        "branch": "fgw-b1",
    }
    with pytest.raises(InvalidTransition):
        account.sign_in(COMMITTEE, "session-2", NOW)
    with pytest.raises(InvalidTransition, match="no longer holds committee@fgw"):
        account.refresh(COMMITTEE, "session-1")


# -- passwords and codes ------------------------------------------------------------------------------


def test_a_code_replaces_the_password_and_a_password_set_with_it_clears_the_code() -> None:
    account = opened(SECRETARY)
    account.issue_code("ref-code-1", NOW + dt.timedelta(days=3), ADMIN, "import-1")
    assert (account.code, account.password) == ("ref-code-1", None)
    assert not account.code_expired(NOW) and account.code_expired(NOW + dt.timedelta(days=3))
    account.set_password("ref-pw-1", {"id": "s-fgw-1", "role": "account"})
    account.set_password("ref-pw-2", {"id": "s-fgw-1", "role": "account"})
    assert (account.code, account.password) == (None, "ref-pw-2")
    account.issue_code("ref-code-2", NOW, ADMIN, "reset-1")
    assert (account.code, account.password) == ("ref-code-2", None)
    names = [type(e).__name__ for e in account.pending_events]
    assert names[-4:] == ["CodeIssued", "PasswordSet", "PasswordChanged", "CodeIssued"]


def test_no_event_carries_anything_but_a_reference_to_a_secret() -> None:
    account = opened(SECRETARY)
    account.issue_code("ref-code-1", NOW, ADMIN, None)
    account.set_password("ref-pw-1", ADMIN)
    failed(account, 5)
    account.end_lockout(NOW + LOCKOUT, SYSTEM, None)
    account.sign_in(SECRETARY, "s1", NOW)
    account.refresh(SECRETARY, "s1")
    account.refresh_reused("s1")
    account.sign_out("s1", ADMIN)
    fields = set()
    for domain_event in account.pending_events:
        fields |= set(domain_event.__dict__)
    fields -= {"originator_id", "originator_version", "timestamp", "originator_topic"}
    assert fields == {
        "login",
        "subject",
        "name",
        "origin",
        "actor",
        "request_id",
        "grant",
        "credential",
        "expires_at",
        "reason",
        "failures",
        "until",
        "session",
        "at",
    }


def test_an_account_replayed_from_its_events_is_the_account() -> None:
    account = opened(SECRETARY, COMMITTEE)
    account.issue_code("ref-code-1", NOW, ADMIN, None)
    failed(account, 5)
    account.revoke(COMMITTEE, ADMIN, "r")
    expected = {k: v for k, v in account.__dict__.items() if k != "_pending_events"}
    again = replay(account)
    assert {k: v for k, v in again.__dict__.items() if k != "_pending_events"} == expected
    assert again.id == account_id("s-fgw-1")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "a password needs at least 10 characters"),
        ("x" * 257, "a password has at most 256 characters"),
        ("my-S-FGW-1-secret", "a password must not contain the account's name or id"),
        ("abababababab", "a password needs at least 4 different characters"),
    ],
)
def test_a_weak_new_password_is_refused_with_the_rule_it_breaks(password: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        check_new_password(password, "s-fgw-1", "s-fgw-1")


def test_a_one_time_code_reads_aloud_and_is_typed_loosely() -> None:
    code = new_code()
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", code)
    assert len({new_code() for _ in range(1000)}) == 1000
    stored = code_digest("7K3M-Q9PZ-2XWD-H4N0")
    for typed in ("7k3m-q9pz-2xwd-h4n0", "7K3MQ9PZ2XWDH4N0", " 7K3M Q9PZ 2XWD H4NO "):
        assert same_digest(stored, typed)
    assert not same_digest(stored, "7K3M-Q9PZ-2XWD-H4N1")
    assert token_digest("a") != token_digest("b") and len(token_digest("a")) == 32


def test_argon2_verifies_its_own_hash_and_asks_for_a_rehash_at_another_cost() -> None:
    cheap, dearer = Passwords(1, 1024, 1, threads=1), Passwords(2, 2048, 1, threads=1)
    hashed = cheap.hash("correct horse battery")
    assert hashed.startswith("$argon2id$") and "correct" not in hashed
    assert cheap.verify(hashed, "correct horse battery")
    assert not cheap.verify(hashed, "correct horse batterY")
    assert not cheap.verify("not a hash", "correct horse battery")
    assert not cheap.needs_rehash(hashed) and dearer.needs_rehash(hashed)
    cheap.decoy("anything")
    cheap.close()
    dearer.close()


def test_names_that_are_no_account_lock_like_accounts_do() -> None:
    unknown, policy = UnknownLogins(), Policy(lockout_failures=3, lockout=LOCKOUT)
    for _ in range(3):
        unknown.check("nobody", NOW)
        unknown.fail("nobody", NOW, policy)
    with pytest.raises(TooManyRequests) as caught:
        unknown.check("nobody", NOW + dt.timedelta(minutes=1))
    assert caught.value.details["retry_after_seconds"] == 14 * 60 + 1
    unknown.check("nobody", NOW + LOCKOUT)  # over: counted afresh
    unknown.check("someone-else", NOW)


# -- the key ring -------------------------------------------------------------------------------------


def ring_of(*keys: tuple[SigningKey, dt.datetime]) -> KeyRing:
    ring = KeyRing.start(SYSTEM)
    for key, signs_from in keys:
        ring.publish(key.public_jwk(), signs_from, ADMIN, None)
    return ring


def test_a_rotated_key_is_published_at_once_and_signs_after_its_activation() -> None:
    first, second = SigningKey.generate(), SigningKey.generate()
    lifetime = dt.timedelta(minutes=6)
    ring = ring_of((first, NOW), (second, NOW + dt.timedelta(seconds=15)))
    assert ring.id == RING_ID
    assert [k["kid"] for k in ring.published(NOW, lifetime)] == [first.kid, second.kid]
    assert ring.signer(NOW + dt.timedelta(seconds=14)) == first.kid
    assert ring.signer(NOW + dt.timedelta(seconds=15)) == second.kid
    states = [r["state"] for r in ring.schedule(NOW, lifetime)]
    assert states == ["current", "next"]
    later = NOW + dt.timedelta(seconds=15) + lifetime
    assert [r["state"] for r in ring.schedule(later - dt.timedelta(seconds=1), lifetime)] == ["previous", "current"]
    assert [r["state"] for r in ring.schedule(later, lifetime)] == ["retired", "current"]
    assert [k["kid"] for k in ring.published(later, lifetime)] == [second.kid]
    assert ring.retired(later, lifetime) == [first.kid]
    assert ring.schedule(NOW, lifetime)[0]["published_until"] == later.isoformat()


def test_the_ring_holds_public_keys_only_each_once_in_order_of_signing() -> None:
    first, second = SigningKey.generate(), SigningKey.generate()
    ring = ring_of((first, NOW))
    with pytest.raises(InvalidTransition, match="only a public key"):
        ring.publish(second.private_jwk(), NOW, ADMIN, None)
    with pytest.raises(InvalidTransition, match="already on the ring"):
        ring.publish(first.public_jwk(), NOW, ADMIN, None)
    ring.publish(second.public_jwk(), NOW - dt.timedelta(hours=1), ADMIN, None)  # a clock behind
    assert ring.keys[1]["signs_from"] == NOW.isoformat()
    assert all("d" not in k["jwk"] for k in ring.keys)
