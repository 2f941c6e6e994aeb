"""Bearer tokens and the principal's rules: who may read and who may act."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import jwt
import pytest

from shared.auth import ROLE_LABELS, Principal, Role, TokenCodec
from shared.errors import Forbidden, NotAuthenticated

SECRET = "unit-test-secret-of-sufficient-length-0123456789"
CODEC = TokenCodec(SECRET)


def claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    out: dict[str, object] = {"iss": "vanguard", "sub": "someone", "role": "committee", "iat": now, "exp": now + 600}
    out.update(overrides)
    return {k: v for k, v in out.items() if v is not None}


# -- tokens ---------------------------------------------------------------------------------


def test_a_minted_token_verifies_to_the_same_principal() -> None:
    who = Principal("s-fgw-1", Role.SECRETARY, "fgw", "fgw-b1", "王强")
    assert CODEC.verify(CODEC.mint(who)) == who


def test_a_token_without_department_branch_or_name_verifies_to_a_principal_without_them() -> None:
    who = Principal("auditor-1", Role.AUDITOR)
    token = CODEC.mint(who)
    decoded = jwt.decode(token, SECRET, algorithms=["HS256"], issuer="vanguard")
    assert not {"department", "branch", "name"} & decoded.keys()
    assert CODEC.verify(token) == who


def test_a_token_lives_as_long_as_asked() -> None:
    token = CODEC.mint(Principal("x", Role.MEMBER), ttl_seconds=60)
    decoded = jwt.decode(token, SECRET, algorithms=["HS256"], issuer="vanguard")
    assert decoded["exp"] - decoded["iat"] == 60
    default = jwt.decode(CODEC.mint(Principal("x", Role.MEMBER)), SECRET, algorithms=["HS256"], issuer="vanguard")
    assert default["exp"] - default["iat"] == CODEC.ttl_seconds


def test_an_expired_token_is_refused_saying_it_expired() -> None:
    token = CODEC.mint(Principal("x", Role.COMMITTEE, "fgw"), ttl_seconds=-5)
    with pytest.raises(NotAuthenticated) as caught:
        CODEC.verify(token)
    assert str(caught.value) == "the bearer token has expired; ask for a new one"
    assert caught.value.status == 401 and caught.value.code == "not_authenticated"


def test_a_token_verified_before_is_still_refused_once_it_expires() -> None:
    codec = TokenCodec(SECRET)
    who = Principal("x", Role.COMMITTEE, "fgw")
    token = codec.mint(who, ttl_seconds=1)
    assert codec.verify(token) == who
    assert codec.verify(token) == who  # answered from memory
    time.sleep(2.05)  # exp has whole seconds
    with pytest.raises(NotAuthenticated, match="expired"):
        codec.verify(token)


def test_a_tampered_copy_of_a_verified_token_is_refused() -> None:
    codec = TokenCodec(SECRET)
    token = codec.mint(Principal("x", Role.MEMBER, "fgw", "fgw-b1"))
    codec.verify(token)
    signature = token.rsplit(".", 1)[1]
    forged = jwt.encode(
        {**jwt.decode(token, SECRET, algorithms=["HS256"], issuer="vanguard"), "role": "admin"},
        "guessed-secret-of-sufficient-length-0123456789",
        algorithm="HS256",
    )
    with pytest.raises(NotAuthenticated, match="Signature verification failed"):
        codec.verify(f"{forged.rsplit('.', 1)[0]}.{signature}")


def test_a_token_signed_with_another_secret_is_refused() -> None:
    token = TokenCodec("another-secret-of-sufficient-length-0123456789").mint(Principal("x", Role.ADMIN))
    with pytest.raises(NotAuthenticated, match="the bearer token is not valid: Signature verification failed"):
        CODEC.verify(token)


@pytest.mark.parametrize("garbage", ["", "not-a-jwt", "a.b.c"])
def test_a_token_that_is_not_a_jwt_is_refused(garbage: str) -> None:
    with pytest.raises(NotAuthenticated, match="the bearer token is not valid"):
        CODEC.verify(garbage)


def test_a_token_naming_an_unknown_role_is_refused_naming_the_role() -> None:
    token = jwt.encode(claims(role="emperor"), SECRET, algorithm="HS256")
    with pytest.raises(NotAuthenticated, match="the token names an unknown role 'emperor'"):
        CODEC.verify(token)


@pytest.mark.parametrize("missing", ["role", "sub", "exp"])
def test_a_token_missing_a_required_claim_is_refused_naming_it(missing: str) -> None:
    token = jwt.encode(claims(**{missing: None}), SECRET, algorithm="HS256")
    with pytest.raises(NotAuthenticated, match=f'the bearer token is not valid: .*"{missing}"'):
        CODEC.verify(token)


def test_a_token_from_another_issuer_is_refused() -> None:
    token = jwt.encode(claims(iss="someone-else"), SECRET, algorithm="HS256")
    with pytest.raises(NotAuthenticated, match="the bearer token is not valid: Invalid issuer"):
        CODEC.verify(token)


def test_an_unsigned_token_is_refused() -> None:
    token = jwt.encode(claims(), None, algorithm="none")
    with pytest.raises(NotAuthenticated, match="the bearer token is not valid"):
        CODEC.verify(token)


def signed(payload: str) -> str:
    """A token signed with the right secret around a payload written by hand (any JSON at all)."""
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")
    body = base64.urlsafe_b64encode(payload.encode()).rstrip(b"=")
    signature = hmac.new(SECRET.encode(), header + b"." + body, hashlib.sha256).digest()
    return b".".join([header, body, base64.urlsafe_b64encode(signature).rstrip(b"=")]).decode()


def test_a_token_expiring_beyond_any_clock_is_refused_naming_the_claim() -> None:
    with pytest.raises(NotAuthenticated) as caught:
        CODEC.verify(jwt.encode(claims(exp=10**400), SECRET, algorithm="HS256"))
    assert str(caught.value) == "the token's 'exp' claim must be a time in seconds since 1970 before the year 10000"
    assert caught.value.status == 401


@pytest.mark.parametrize("exp", ["true", "1e999", "-1e999", "NaN", '"soon"', "[1]", '{"at": 1}'])
def test_a_token_whose_expiry_is_not_a_number_of_seconds_is_refused_naming_the_claim(exp: str) -> None:
    payload = f'{{"iss": "vanguard", "sub": "x", "role": "committee", "exp": {exp}}}'
    with pytest.raises(NotAuthenticated) as caught:
        CODEC.verify(signed(payload))
    assert str(caught.value) == "the token's 'exp' claim must be a time in seconds since 1970 before the year 10000"


@pytest.mark.parametrize("claim", ["department", "branch", "name"])
@pytest.mark.parametrize(
    ("value", "what"),
    [
        (["fgw"], "a list"),
        ({"code": "fgw"}, "an object"),
        (7, "a number"),
        (True, "a boolean"),
        ("", "1–200 characters"),
        ("x" * 201, "1–200 characters"),
        ("fgw\x00", "control characters"),
        ("fgw\n", "control characters"),
    ],
)
def test_a_token_whose_scope_claim_is_not_plain_text_is_refused_naming_the_claim(
    claim: str, value: object, what: str
) -> None:
    token = jwt.encode(claims(**{claim: value}), SECRET, algorithm="HS256")
    with pytest.raises(NotAuthenticated) as caught:
        CODEC.verify(token)
    assert str(caught.value).startswith(f"the token's '{claim}' claim must be text of 1–200 characters")
    assert what in str(caught.value)


def test_a_token_whose_subject_is_empty_or_has_control_characters_is_refused() -> None:
    for subject in ("", "m-001\r\nX-Admin: yes"):
        with pytest.raises(NotAuthenticated, match="the token's 'sub' claim must be text of 1–200 characters"):
            CODEC.verify(jwt.encode(claims(sub=subject), SECRET, algorithm="HS256"))


def test_a_token_with_a_lone_surrogate_in_a_claim_is_refused() -> None:
    payload = '{"iss": "vanguard", "sub": "x", "role": "committee", "exp": 9999999999, "department": "\\ud800"}'
    with pytest.raises(NotAuthenticated, match="the token's 'department' claim must be text"):
        CODEC.verify(signed(payload))


@pytest.mark.parametrize(("role", "what"), [(5, "a number"), (["admin"], "a list"), ({"admin": 1}, "an object")])
def test_a_token_whose_role_is_not_text_is_refused_listing_the_roles(role: object, what: str) -> None:
    with pytest.raises(NotAuthenticated) as caught:
        CODEC.verify(jwt.encode(claims(role=role), SECRET, algorithm="HS256"))
    assert str(caught.value) == (
        f"the token's 'role' claim must name a role (committee, secretary, member, inspector, panelist, "
        f"auditor, organiser, admin), not {what}"
    )


def test_a_token_whose_scope_claims_are_null_verifies_as_if_they_were_absent() -> None:
    token = jwt.encode(claims(department=None, branch=None) | {"department": None}, SECRET, algorithm="HS256")
    assert CODEC.verify(token) == Principal("someone", Role.COMMITTEE)


# -- principals -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.INSPECTOR, Role.PANELIST, Role.ADMIN])
def test_cross_department_roles_read_every_department_and_branch(role: Role) -> None:
    who = Principal("x", role)
    assert who.may_read("fgw", None) and who.may_read("fgw", "fgw-b1") and who.may_read("zwb", "zwb-b5")


def test_a_committee_reads_all_of_its_department_and_nothing_of_another() -> None:
    who = Principal("x", Role.COMMITTEE, "fgw")
    assert who.may_read("fgw", None) and who.may_read("fgw", "fgw-b1") and who.may_read("fgw", "fgw-b2")
    assert not who.may_read("zwb", None) and not who.may_read("zwb", "zwb-b5")


@pytest.mark.parametrize("role", [Role.SECRETARY, Role.MEMBER])
def test_secretaries_and_members_read_their_branch_and_department_wide_records_only(role: Role) -> None:
    who = Principal("x", role, "fgw", "fgw-b1")
    assert who.may_read("fgw", "fgw-b1")
    assert who.may_read("fgw", None)  # e.g. the department's topics
    assert not who.may_read("fgw", "fgw-b2")
    assert not who.may_read("zwb", None) and not who.may_read("zwb", "fgw-b1")


def test_a_principal_without_a_department_reads_nothing_department_scoped() -> None:
    who = Principal("x", Role.COMMITTEE)
    assert not who.may_read("fgw", None)


def test_require_role_passes_for_any_listed_role_and_otherwise_names_what_is_needed() -> None:
    Principal("x", Role.AUDITOR).require_role(Role.AUDITOR, Role.ADMIN)
    with pytest.raises(Forbidden) as caught:
        Principal("x", Role.MEMBER, "fgw", "fgw-b1").require_role(Role.COMMITTEE)
    assert str(caught.value) == f"role 'member' may not do this; it needs: committee ({ROLE_LABELS[Role.COMMITTEE]})"
    assert caught.value.status == 403 and caught.value.details == {"role": "member"}
    with pytest.raises(Forbidden, match=r"it needs: auditor .*、admin "):
        Principal("x", Role.SECRETARY).require_role(Role.AUDITOR, Role.ADMIN)


def test_require_department_refuses_another_department_naming_both() -> None:
    Principal("x", Role.COMMITTEE, "fgw").require_department("fgw")
    with pytest.raises(Forbidden, match="you act for department 'zwb', not 'fgw'"):
        Principal("x", Role.COMMITTEE, "zwb").require_department("fgw")


def test_require_branch_refuses_another_branch_and_another_departments_branch() -> None:
    who = Principal("x", Role.SECRETARY, "fgw", "fgw-b1")
    who.require_branch("fgw", "fgw-b1")
    with pytest.raises(Forbidden, match="you act for branch 'fgw-b1', not 'fgw-b2'"):
        who.require_branch("fgw", "fgw-b2")
    with pytest.raises(Forbidden, match="you act for department 'fgw', not 'zwb'"):
        who.require_branch("zwb", "fgw-b1")


def test_the_actor_recorded_in_events_carries_only_the_scope_the_principal_has() -> None:
    assert Principal("s-1", Role.SECRETARY, "fgw", "fgw-b1").as_actor() == {
        "id": "s-1",
        "role": "secretary",
        "department": "fgw",
        "branch": "fgw-b1",
    }
    assert Principal("a-1", Role.AUDITOR).as_actor() == {"id": "a-1", "role": "auditor"}


def test_every_role_has_a_chinese_label() -> None:
    assert set(ROLE_LABELS) == set(Role)
    assert ROLE_LABELS[Role.SECRETARY] == "支部书记"
