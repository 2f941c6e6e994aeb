"""Bearer tokens and the principal's rules: who may read and who may act.

Tokens are Ed25519-signed JWTs with a key id, verified with public keys only; every way of forging
one the issue names is refused with a 401 that says why."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key

from shared.auth import ROLE_LABELS, Principal, Role
from shared.auth.keys import KeySet, SigningKey, jwks
from shared.auth.tokens import OWN_CLAIMS, TokenIssuer, TokenVerifier, Trust
from shared.errors import Forbidden, NotAuthenticated

KEY = SigningKey.generate("k1")
ISSUER = TokenIssuer(KEY)
VERIFIER = TokenVerifier(Trust("vanguard-identity", KeySet(json.dumps(jwks(KEY)))))


def claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    out: dict[str, object] = {
        "iss": "vanguard-identity",
        "aud": "vanguard",
        "sub": "someone",
        "role": "committee",
        "iat": now,
        "exp": now + 600,
    }
    out.update(overrides)
    return {k: v for k, v in out.items() if v is not None}


def sign(payload: dict[str, object], key: SigningKey = KEY) -> str:
    return jwt.encode(payload, key.private, algorithm="EdDSA", headers={"kid": key.kid})


def signed(payload: str) -> str:
    """A token signed with the right key around a payload written by hand (any JSON at all)."""
    header = base64.urlsafe_b64encode(json.dumps({"alg": "EdDSA", "typ": "JWT", "kid": KEY.kid}).encode())
    header = header.rstrip(b"=")
    body = base64.urlsafe_b64encode(payload.encode()).rstrip(b"=")
    signature = KEY.private.sign(header + b"." + body)
    return b".".join([header, body, base64.urlsafe_b64encode(signature).rstrip(b"=")]).decode()


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


# -- tokens ---------------------------------------------------------------------------------


def test_a_minted_token_verifies_to_the_same_principal() -> None:
    who = Principal("s-fgw-1", Role.SECRETARY, "fgw", "fgw-b1", "王强")
    assert VERIFIER.verify(ISSUER.mint(who)) == who


def test_a_token_names_its_key_issuer_and_audience_and_lives_as_long_as_asked() -> None:
    token = ISSUER.mint(Principal("auditor-1", Role.AUDITOR), ttl_seconds=60)
    assert jwt.get_unverified_header(token) == {"alg": "EdDSA", "kid": "k1", "typ": "JWT"}
    decoded = jwt.decode(token, options={"verify_signature": False})
    assert (decoded["iss"], decoded["aud"], decoded["exp"] - decoded["iat"]) == ("vanguard-identity", "vanguard", 60)
    assert not {"department", "branch", "name"} & decoded.keys()
    assert VERIFIER.verify(token) == Principal("auditor-1", Role.AUDITOR)


def test_an_expired_token_is_refused_saying_it_expired() -> None:
    token = ISSUER.mint(Principal("x", Role.COMMITTEE, "fgw"), ttl_seconds=-5)
    with pytest.raises(NotAuthenticated) as caught:
        VERIFIER.verify(token)
    assert str(caught.value) == "the bearer token has expired; ask for a new one"
    assert caught.value.status == 401 and caught.value.code == "not_authenticated"


def test_a_token_verified_before_is_still_refused_once_it_expires() -> None:
    verifier = TokenVerifier(Trust("vanguard-identity", KeySet(json.dumps(jwks(KEY)))))
    who = Principal("x", Role.COMMITTEE, "fgw")
    token = ISSUER.mint(who, ttl_seconds=1)
    assert verifier.verify(token) == who
    assert verifier.verify(token) == who  # answered from memory
    time.sleep(2.05)  # exp has whole seconds
    with pytest.raises(NotAuthenticated, match="expired"):
        verifier.verify(token)


def test_a_tampered_copy_of_a_verified_token_is_refused() -> None:
    token = ISSUER.mint(Principal("x", Role.MEMBER, "fgw", "fgw-b1"))
    VERIFIER.verify(token)
    header, _, signature = token.split(".")
    forged_body = b64({**jwt.decode(token, options={"verify_signature": False}), "role": "admin"})
    with pytest.raises(NotAuthenticated, match="Signature verification failed"):
        VERIFIER.verify(f"{header}.{forged_body}.{signature}")


def test_a_token_signed_by_another_key_under_a_trusted_key_id_is_refused() -> None:
    with pytest.raises(NotAuthenticated, match="the bearer token is not valid: Signature verification failed"):
        VERIFIER.verify(sign(claims(role="admin"), SigningKey.generate("k1")))


def test_a_token_signed_by_an_unknown_key_is_refused() -> None:
    with pytest.raises(NotAuthenticated, match="the bearer token is signed by an unknown key 'k9'"):
        VERIFIER.verify(sign(claims(), SigningKey.generate("k9")))


def test_an_unsigned_token_alg_none_is_refused() -> None:
    token = f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': 'k1'})}.{b64(claims(role='admin'))}."
    with pytest.raises(NotAuthenticated, match="must be signed with EdDSA, not none"):
        VERIFIER.verify(token)


def test_hs256_signed_with_the_public_key_as_its_secret_is_refused() -> None:
    """Algorithm confusion: the public key is public, so an HMAC keyed with it proves nothing."""
    public = KEY.public_jwk()["x"]
    header = b64({"alg": "HS256", "typ": "JWT", "kid": "k1"})
    body = b64(claims(role="admin"))
    for secret in (public.encode(), base64.urlsafe_b64decode(public + "==")):
        mac = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
        token = f"{header}.{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
        with pytest.raises(NotAuthenticated, match="must be signed with EdDSA, not HS256"):
            VERIFIER.verify(token)


def test_a_token_without_a_key_id_is_refused() -> None:
    with pytest.raises(NotAuthenticated, match="names no signing key"):
        VERIFIER.verify(jwt.encode(claims(), KEY.private, algorithm="EdDSA"))


@pytest.mark.parametrize("garbage", ["", "not-a-jwt", "a.b.c"])
def test_a_token_that_is_not_a_jwt_is_refused(garbage: str) -> None:
    with pytest.raises(NotAuthenticated, match="the bearer token is not a JWT"):
        VERIFIER.verify(garbage)


def test_a_token_naming_an_unknown_role_is_refused_naming_the_role() -> None:
    with pytest.raises(NotAuthenticated, match="the token names an unknown role 'emperor'"):
        VERIFIER.verify(sign(claims(role="emperor")))


@pytest.mark.parametrize("missing", ["exp", "aud"])
def test_a_token_missing_a_required_claim_is_refused_naming_it(missing: str) -> None:
    with pytest.raises(NotAuthenticated, match=f'the bearer token is not valid: .*"{missing}"'):
        VERIFIER.verify(sign(claims(**{missing: None})))


@pytest.mark.parametrize("missing", ["role", "sub"])
def test_a_token_without_a_subject_or_role_is_refused_naming_it(missing: str) -> None:
    with pytest.raises(NotAuthenticated, match=f"has no '{missing}' claim"):
        VERIFIER.verify(sign(claims(**{missing: None})))


def test_a_token_from_another_issuer_is_refused() -> None:
    with pytest.raises(NotAuthenticated, match="tokens from issuer 'someone-else' are not trusted here"):
        VERIFIER.verify(sign(claims(iss="someone-else")))


def test_a_token_for_another_audience_is_refused() -> None:
    with pytest.raises(NotAuthenticated, match="the bearer token is not valid: Audience doesn't match"):
        VERIFIER.verify(sign(claims(aud="another-system")))


def test_a_token_expiring_beyond_any_clock_is_refused_naming_the_claim() -> None:
    with pytest.raises(NotAuthenticated) as caught:
        VERIFIER.verify(sign(claims(exp=10**400)))
    assert str(caught.value) == "the token's 'exp' claim must be a time in seconds since 1970 before the year 10000"
    assert caught.value.status == 401


@pytest.mark.parametrize("exp", ["true", "1e999", "-1e999", "NaN", '"soon"', "[1]", '{"at": 1}'])
def test_a_token_whose_expiry_is_not_a_number_of_seconds_is_refused_naming_the_claim(exp: str) -> None:
    payload = f'{{"iss": "vanguard-identity", "aud": "vanguard", "sub": "x", "role": "committee", "exp": {exp}}}'
    with pytest.raises(NotAuthenticated) as caught:
        VERIFIER.verify(signed(payload))
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
    with pytest.raises(NotAuthenticated) as caught:
        VERIFIER.verify(sign(claims(**{claim: value})))
    assert str(caught.value).startswith(f"the token's '{claim}' claim must be text of 1–200 characters")
    assert what in str(caught.value)


def test_a_token_whose_subject_is_empty_or_has_control_characters_is_refused() -> None:
    for subject in ("", "m-001\r\nX-Admin: yes"):
        with pytest.raises(NotAuthenticated, match="the token's 'sub' claim must be text of 1–200 characters"):
            VERIFIER.verify(sign(claims(sub=subject)))


def test_a_token_with_a_lone_surrogate_in_a_claim_is_refused() -> None:
    payload = (
        '{"iss": "vanguard-identity", "aud": "vanguard", "sub": "x", "role": "committee", "exp": 9999999999,'
        ' "department": "\\ud800"}'
    )
    with pytest.raises(NotAuthenticated, match="the token's 'department' claim must be text"):
        VERIFIER.verify(signed(payload))


@pytest.mark.parametrize(("role", "what"), [(5, "a number"), (["admin"], "a list"), ({"admin": 1}, "an object")])
def test_a_token_whose_role_is_not_text_is_refused_listing_the_roles(role: object, what: str) -> None:
    with pytest.raises(NotAuthenticated) as caught:
        VERIFIER.verify(sign(claims(role=role)))
    assert str(caught.value) == (
        f"the token's 'role' claim must name a role (committee, secretary, member, inspector, panelist, "
        f"auditor, organiser, admin), not {what}"
    )


def test_a_token_whose_scope_claims_are_null_verifies_as_if_they_were_absent() -> None:
    token = sign(claims() | {"department": None, "branch": None})
    assert VERIFIER.verify(token) == Principal("someone", Role.COMMITTEE)


def test_a_key_set_never_takes_a_private_key_and_refuses_what_is_no_jwks() -> None:
    leaked = {"keys": [KEY.private_jwk()]}
    assert KeySet(json.dumps(leaked)).kids == []
    for bad in ("", "{", '{"nokeys": 1}', "/no/such/file"):
        with pytest.raises(ValueError, match="token keys"):
            KeySet(bad)


def test_an_oidc_providers_tokens_are_mapped_through_its_claim_names() -> None:
    ec = generate_private_key(SECP256R1())
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec.public_key())) | {"kid": "sso-1"}
    names = {**OWN_CLAIMS, "sub": "preferred_username", "role": "vg_role", "department": "dept"}
    verifier = TokenVerifier(
        Trust("vanguard-identity", KeySet(json.dumps(jwks(KEY)))),
        Trust("https://sso.example.gov", KeySet(json.dumps({"keys": [public]})), "vanguard-client", names),
    )
    now = int(time.time())
    payload = {
        "iss": "https://sso.example.gov",
        "aud": "vanguard-client",
        "preferred_username": "zhang.san",
        "vg_role": "committee",
        "dept": "fgw",
        "exp": now + 60,
    }
    token = jwt.encode(payload, ec, algorithm="ES256", headers={"kid": "sso-1"})
    assert verifier.verify(token) == Principal("zhang.san", Role.COMMITTEE, "fgw")
    _, body, signature = token.split(".")
    confused = f"{b64({'alg': 'RS256', 'typ': 'JWT', 'kid': 'sso-1'})}.{body}.{signature}"
    with pytest.raises(NotAuthenticated, match="must be signed with ES256, not RS256"):
        verifier.verify(confused)


def test_a_rotated_key_is_fetched_from_the_jwks_url_when_a_token_names_it() -> None:
    published = {"keys": [KEY.public_jwk()]}

    class JWKS(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(published).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), JWKS)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
        verifier = TokenVerifier(Trust("vanguard-identity", KeySet(url)))
        assert verifier.verify(ISSUER.mint(Principal("a", Role.ADMIN))).subject == "a"
        new = SigningKey.generate("k2")
        published["keys"].append(new.public_jwk())  # the identity service publishes, then signs with it
        time.sleep(1.05)  # ...at least a second later: a verifier fetches again at most once a second
        assert verifier.verify(TokenIssuer(new).mint(Principal("b", Role.ADMIN))).subject == "b"
        assert verifier.verify(ISSUER.mint(Principal("c", Role.ADMIN))).subject == "c"  # the old one still holds
    finally:
        server.shutdown()


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
