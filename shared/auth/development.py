"""The embedded stack's development signing key: `./vanguard up` makes it (once, in .run/keys) and
gives its public half to every service; `./vanguard token` mints local tokens with it. A real
deployment has none: its identity service holds its own keys, and tokens come from sign-in."""

from __future__ import annotations

import json
import os
from pathlib import Path

from shared.auth.keys import SigningKey, jwks

DEFAULT = Path(".run/keys/identity.jwk")


def key_path() -> Path:
    return Path(os.environ.get("VANGUARD_IDENTITY_KEY") or DEFAULT)


def signing_key(value: str) -> SigningKey:
    """A signing key given as its JWK (JSON) or the path of a file holding it."""
    if value.strip().startswith("{"):
        try:
            return SigningKey.from_jwk(json.loads(value))
        except json.JSONDecodeError as error:
            raise ValueError(f"the signing key is not a JWK: {error}") from None
    return SigningKey.read(Path(value))


def development_key(path: Path | None = None) -> SigningKey:
    """The key at `path` (default: $VANGUARD_IDENTITY_KEY, a file or the JWK itself, else .run/keys/identity.jwk)."""
    given = os.environ.get("VANGUARD_IDENTITY_KEY", "")
    if path is None and given.strip().startswith("{"):
        return signing_key(given)
    path = path or key_path()
    if not path.is_file():
        raise ValueError(
            f"no signing key at {path}: ./vanguard up makes one (or set VANGUARD_IDENTITY_KEY to a key file)"
        )
    return SigningKey.read(path)


def ensure_key(path: Path) -> tuple[SigningKey, Path]:
    """The key at `path`, made if missing, and the file of its public JWKS beside it (jwks.json)."""
    if path.is_file():
        key = SigningKey.read(path)
    else:
        key = SigningKey.generate()
        key.write(path)
    public = path.with_name("jwks.json")
    public.write_text(json.dumps(jwks(key)) + "\n", encoding="utf-8")
    return key, public
