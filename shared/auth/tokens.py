"""Mint and verify bearer tokens (HS256 JWT)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from shared.auth.principal import Principal, Role
from shared.errors import NotAuthenticated

_ISSUER = "vanguard"


@dataclass(frozen=True)
class TokenCodec:
    secret: str
    ttl_seconds: int = 12 * 3600

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
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                issuer=_ISSUER,
                options={"require": ["exp", "sub", "role"]},
            )
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated("the bearer token has expired; ask for a new one") from None
        except jwt.PyJWTError as error:
            raise NotAuthenticated(f"the bearer token is not valid: {error}") from None
        try:
            role = Role(claims["role"])
        except ValueError:
            raise NotAuthenticated(f"the token names an unknown role '{claims['role']}'") from None
        return Principal(
            subject=str(claims["sub"]),
            role=role,
            department=claims.get("department"),
            branch=claims.get("branch"),
            name=claims.get("name"),
        )
