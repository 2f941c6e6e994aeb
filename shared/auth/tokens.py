"""Bearer tokens: minted only by whoever holds a signing key (the identity service, or `./vanguard
token` with the embedded stack's development key), verified everywhere else with public keys.

A token is a JWT signed with EdDSA (Ed25519) and a key id; its issuer and audience are checked.
A deployment may also trust an existing OIDC provider: its issuer, its JWKS, and which of its claims
carry the role, department and branch. Refused with a 401 that says why: no key id, an algorithm
other than the key's own (`none`, HS256 signed with a public key as its secret), an unknown key, a
bad signature, another issuer or audience, an expired token, a claim out of form."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import jwt

from shared.auth.claims import principal_from
from shared.auth.keys import KeySet, SigningKey
from shared.auth.principal import Principal
from shared.errors import NotAuthenticated

ISSUER = "vanguard-identity"
AUDIENCE = "vanguard"
_CACHED = 4096  # recently verified tokens: a client sends the same one with every request
# Our claim -> the issuer's claim holding it (an OIDC provider names them its own way).
OWN_CLAIMS = {"sub": "sub", "role": "role", "department": "department", "branch": "branch", "name": "name"}


@dataclass(frozen=True)
class TokenIssuer:
    key: SigningKey
    issuer: str = ISSUER
    audience: str = AUDIENCE
    ttl_seconds: int = 15 * 60

    def mint(self, principal: Principal, ttl_seconds: int | None = None, **extra: object) -> str:
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": principal.subject,
            "role": principal.role.value,
            "iat": now,
            "exp": now + (ttl_seconds or self.ttl_seconds),
            **extra,
        }
        for name in ("department", "branch", "name"):
            value = getattr(principal, name)
            if value:
                claims[name] = value
        return jwt.encode(claims, self.key.private, algorithm="EdDSA", headers={"kid": self.key.kid})


@dataclass(frozen=True)
class Trust:
    """An issuer whose tokens are believed: its keys, the audience it must name, its claim names."""

    issuer: str
    keys: KeySet
    audience: str = AUDIENCE
    claims: dict[str, str] = field(default_factory=lambda: dict(OWN_CLAIMS))


class TokenVerifier:
    def __init__(self, *trusts: Trust) -> None:
        if not trusts:
            raise ValueError("no token issuer is trusted")
        self.trusts = {t.issuer: t for t in trusts}
        self._verified: dict[str, tuple[Principal, float]] = {}

    def verify(self, token: str) -> Principal:
        """The principal a token names; a token verified before is answered from memory until it
        expires (its signature and claims cannot change: the same string verifies the same way)."""
        known = self._verified.get(token)
        if known is not None and time.time() < known[1]:
            return known[0]
        principal, expires = self._decode(token)
        if len(self._verified) >= _CACHED:
            self._verified.clear()
        self._verified[token] = (principal, expires)
        return principal

    def _decode(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as error:
            raise NotAuthenticated(f"the bearer token is not a JWT: {error}") from None
        issuer = unverified.get("iss")
        trust = self.trusts.get(issuer) if isinstance(issuer, str) else None
        if trust is None:
            raise NotAuthenticated(f"tokens from issuer {str(issuer)[:100]!r} are not trusted here")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise NotAuthenticated("the bearer token names no signing key (kid)")
        found = trust.keys.get(kid)
        if found is None:
            raise NotAuthenticated(f"the bearer token is signed by an unknown key '{kid[:100]}'")
        key, algorithm = found
        if header.get("alg") != algorithm:
            raise NotAuthenticated(
                f"the bearer token must be signed with {algorithm}, not {str(header.get('alg'))[:20]}"
            )
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=trust.issuer,
                audience=trust.audience,
                # exp is checked with the other claims: PyJWT takes true for 1 and fails on 10**400
                options={"require": ["exp", "iss", "aud"], "verify_exp": False},
            )
        except jwt.PyJWTError as error:
            raise NotAuthenticated(f"the bearer token is not valid: {error}") from None
        return principal_from(_ours(claims, trust.claims))


def _ours(claims: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """The issuer's claims under our names (exp kept)."""
    mapped: dict[str, Any] = {"exp": claims.get("exp")}
    for ours, theirs in names.items():
        if theirs in claims:
            mapped[ours] = claims[theirs]
    for required in ("sub", "role"):
        if required not in mapped:
            raise NotAuthenticated(f"the bearer token has no '{names.get(required, required)}' claim ({required})")
    return mapped
