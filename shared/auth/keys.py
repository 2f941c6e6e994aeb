"""Token keys: the identity service's Ed25519 signing keys (JWK, with a key id) and the public key sets
(JWKS) every other service verifies with. A service holds public keys only, so it cannot mint a
token; a key set is read from a file, inline JSON, or the identity service's JWKS URL (fetched,
cached, and fetched again when a token names a key id it does not know: keys rotate without
anyone restarting)."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

# The algorithm each kind of public key verifies with. Never HS* (a public key is no secret) nor none.
ALGORITHMS = {("OKP", "Ed25519"): "EdDSA", ("EC", "P-256"): "ES256", ("RSA", None): "RS256"}
_REFETCH_AT_MOST_EVERY = 1.0  # seconds: a flood of tokens with unknown key ids is not a flood of fetches


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key with its key id (kid), as the identity service holds it."""

    kid: str
    private: Ed25519PrivateKey

    @classmethod
    def generate(cls, kid: str | None = None) -> SigningKey:
        return cls(kid or f"ed-{secrets.token_hex(6)}", Ed25519PrivateKey.generate())

    @classmethod
    def from_jwk(cls, jwk: dict[str, Any]) -> SigningKey:
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or "d" not in jwk or not jwk.get("kid"):
            raise ValueError("a signing key is an Ed25519 private JWK with a kid (kty OKP, crv Ed25519, d, kid)")
        return cls(str(jwk["kid"]), Ed25519PrivateKey.from_private_bytes(_unb64(str(jwk["d"]))))

    @classmethod
    def read(cls, path: Path) -> SigningKey:
        try:
            return cls.from_jwk(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise ValueError(f"{path}: no such key file") from None
        except json.JSONDecodeError:
            raise ValueError(f"{path}: not a JWK (JSON)") from None

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps(self.private_jwk()) + "\n", encoding="utf-8")

    def private_jwk(self) -> dict[str, str]:
        d = self.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return {**self.public_jwk(), "d": _b64(d)}

    def public_jwk(self) -> dict[str, str]:
        x = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": _b64(x), "kid": self.kid, "alg": "EdDSA", "use": "sig"}


def jwks(*keys: SigningKey) -> dict[str, list[dict[str, str]]]:
    """The public key set of these keys (what a JWKS endpoint serves)."""
    return {"keys": [k.public_jwk() for k in keys]}


def algorithm_of(jwk: dict[str, Any]) -> str | None:
    kty = jwk.get("kty")
    return ALGORITHMS.get((kty, jwk.get("crv") if kty != "RSA" else None))


class KeySet:
    """Public keys by key id, from `source`: an http(s) URL of a JWKS, a file holding one, the JSON
    itself, or several URLs and files separated by commas (their keys together). URL sets are
    fetched again every `max_age` seconds and when a token names an unknown key id (at most once a
    second); a failed fetch keeps the keys already known."""

    def __new__(cls, source: object = "", *args: Any, **kwargs: Any) -> KeySet:
        text = source.strip() if isinstance(source, str) else ""
        if cls is KeySet and "," in text and not text.startswith("{"):
            max_age = float(args[0] if args else kwargs.get("max_age", 300.0))
            return Keys([KeySet(part, max_age) for part in text.split(",") if part.strip()])  # type: ignore[return-value]
        return super().__new__(cls)

    def __init__(self, source: str, max_age: float = 300.0) -> None:
        self.source = source.strip()
        if not self.source:
            raise ValueError("no token keys configured: give a JWKS URL, a JWKS file or the JWKS itself")
        self.max_age = max_age
        self._keys: dict[str, tuple[Any, str]] = {}
        self._fetched_at = 0.0
        self._tried_at = 0.0
        self._lock = threading.Lock()
        self._remote = self.source.startswith(("http://", "https://"))
        if not self._remote:
            self._keys = self._parse(self._read_local())
            self._fetched_at = time.monotonic()

    def _read_local(self) -> Any:
        text = self.source
        if not text.startswith("{"):
            path = Path(text)
            if not path.is_file():
                raise ValueError(f"token keys: {text} is neither a JWKS, a JWKS file nor an http(s) URL")
            text = path.read_text(encoding="utf-8")
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"token keys: not a JWKS ({error})") from None

    @staticmethod
    def _parse(data: Any) -> dict[str, tuple[Any, str]]:
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise ValueError('token keys: a JWKS is {"keys": [...]}')
        keys: dict[str, tuple[Any, str]] = {}
        for jwk in data["keys"]:
            if not isinstance(jwk, dict) or "d" in jwk:
                continue  # never take a private key for a public one
            algorithm = algorithm_of(jwk)
            kid = jwk.get("kid")
            if algorithm is None or not isinstance(kid, str):
                continue
            try:
                keys[kid] = (jwt.PyJWK(jwk, algorithm).key, algorithm)
            except jwt.PyJWTError:
                continue
        return keys

    def _fetch(self) -> None:
        with self._lock:
            now = time.monotonic()
            if now - self._tried_at < _REFETCH_AT_MOST_EVERY:
                return
            self._tried_at = now
            try:
                response = httpx.get(self.source, timeout=3)
                response.raise_for_status()
                self._keys = self._parse(response.json())
                self._fetched_at = time.monotonic()
            except (httpx.HTTPError, ValueError):
                return  # keep what we know

    def get(self, kid: str) -> tuple[Any, str] | None:
        """The public key and its algorithm for a key id, or None if unknown even after a fetch."""
        if self._remote and (not self._keys or time.monotonic() - self._fetched_at > self.max_age):
            self._fetch()
        found = self._keys.get(kid)
        if found is None and self._remote:
            self._fetch()
            found = self._keys.get(kid)
        return found

    @property
    def kids(self) -> list[str]:
        return list(self._keys)


class Keys:
    """Several key sets as one (a development key file beside the identity service's JWKS URL)."""

    def __init__(self, sets: list[KeySet]) -> None:
        self.sets = sets

    def get(self, kid: str) -> tuple[Any, str] | None:
        local = [s for s in self.sets if not s._remote]
        for found in (s.get(kid) for s in [*local, *(s for s in self.sets if s._remote)]):
            if found is not None:
                return found
        return None

    @property
    def kids(self) -> list[str]:
        return [kid for s in self.sets for kid in s.kids]
