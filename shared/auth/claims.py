"""What a validly signed token's claims must be: anything else is a 401 naming the claim."""

from __future__ import annotations

import time
import unicodedata
from typing import Any

from shared.auth.principal import Principal, Role
from shared.errors import NotAuthenticated

MAX_TEXT = 200
LATEST_EXPIRY = 253_402_300_800  # 10000-01-01T00:00:00Z
_ROLES = ", ".join(r.value for r in Role)
_KINDS = {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object"}


def principal_from(claims: dict[str, Any]) -> tuple[Principal, float]:
    """The principal the claims name and when the token expires; refused unless every claim is well formed."""
    expires = _expiry(claims["exp"])
    if expires <= time.time():
        raise NotAuthenticated("the bearer token has expired; ask for a new one")
    principal = Principal(
        subject=_text(claims["sub"], "sub"),
        role=_role(claims["role"]),
        department=_optional_text(claims, "department"),
        branch=_optional_text(claims, "branch"),
        name=_optional_text(claims, "name"),
    )
    return principal, expires


def _expiry(value: object) -> float:
    # bool is an int, NaN and ±inf (JSON's 1e999) are floats; none of them is a time
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < LATEST_EXPIRY:
        raise NotAuthenticated("the token's 'exp' claim must be a time in seconds since 1970 before the year 10000")
    return float(value)


def _role(value: object) -> Role:
    if not isinstance(value, str):
        raise NotAuthenticated(f"the token's 'role' claim must name a role ({_ROLES}), not {_kind(value)}")
    try:
        return Role(value)
    except ValueError:
        raise NotAuthenticated(f"the token names an unknown role '{value[:MAX_TEXT]}'") from None


def _optional_text(claims: dict[str, Any], claim: str) -> str | None:
    value = claims.get(claim)
    return None if value is None else _text(value, claim)


def _text(value: object, claim: str) -> str:
    """What a principal's fields, the events they are recorded in and our tables can hold."""
    wanted = f"the token's '{claim}' claim must be text of 1–{MAX_TEXT} characters"
    if not isinstance(value, str):
        raise NotAuthenticated(f"{wanted}, not {_kind(value)}")
    if not 0 < len(value) <= MAX_TEXT:
        raise NotAuthenticated(f"{wanted}; it has {len(value)}")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in value):
        raise NotAuthenticated(f"{wanted} without control characters or lone surrogates")
    return value


def _kind(value: object) -> str:
    return _KINDS.get(type(value), type(value).__name__)
