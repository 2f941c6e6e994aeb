"""Mint and verify bearer tokens (HS256 JWT)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import jwt

from shared.auth.claims import principal_from
from shared.auth.principal import Principal
from shared.errors import NotAuthenticated

_ISSUER = "vanguard"
_CACHED = 4096  # recently verified tokens: a client sends the same one with every request


@dataclass(frozen=True)
class TokenCodec:
    secret: str
    ttl_seconds: int = 12 * 3600
    _verified: dict[str, tuple[Principal, float]] = field(default_factory=dict, compare=False, repr=False)

    def mint(self, principal: Principal, ttl_seconds: int | None = None) -> str:
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": _ISSUER,
            "sub": principal.subject,
            "role": principal.role.value,
            "iat": now,
            "exp": now + (ttl_seconds or self.ttl_seconds),
        }
        for key in ("department", "branch", "name"):
            value = getattr(principal, key)
            if value:
                claims[key] = value
        return jwt.encode(claims, self.secret, algorithm="HS256")

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
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                issuer=_ISSUER,
                # exp is checked with the other claims: PyJWT takes true for 1 and fails on 10**400
                options={"require": ["exp", "sub", "role"], "verify_exp": False},
            )
        except jwt.PyJWTError as error:
            raise NotAuthenticated(f"the bearer token is not valid: {error}") from None
        return principal_from(claims)
