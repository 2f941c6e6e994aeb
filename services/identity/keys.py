"""The signing keys as one process holds them: the ring (from the event store) with the private
halves (from the vault), reloaded every few seconds so that workers follow each other's rotations;
and the key set the service verifies its own tokens with, answered from memory."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import jwt

from services.identity.keyring import KeyRing
from shared.auth.keys import KeySet, SigningKey

RELOAD_EVERY = 2.0  # seconds; a rotated key signs only key_activation_seconds (> this) later


class KeyCache:
    """What `reload` last read: the ring and the private keys of every key still published."""

    def __init__(self, lifetime: dt.timedelta) -> None:
        self.lifetime = lifetime  # how long a key stays published after its successor starts
        self.ring: KeyRing | None = None
        self.private: dict[str, SigningKey] = {}
        self.loaded_at = 0.0
        self._public: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def load(self, ring: KeyRing, private: dict[str, str], now: dt.datetime) -> None:
        parsed = {kid: SigningKey.from_jwk(json.loads(jwk)) for kid, jwk in private.items()}
        with self._lock:
            self.ring = ring
            self.private = {**{k: v for k, v in self.private.items() if k in ring.kids}, **parsed}
            self._public = {jwk["kid"]: jwk for jwk in ring.published(now, self.lifetime)}
            self.loaded_at = time.monotonic()

    @property
    def stale(self) -> bool:
        return time.monotonic() - self.loaded_at > RELOAD_EVERY

    def missing(self, ring: KeyRing, now: dt.datetime) -> list[str]:
        """Key ids of the ring, still published, whose private half this process has not read yet."""
        return [jwk["kid"] for jwk in ring.published(now, self.lifetime) if jwk["kid"] not in self.private]

    def signer(self, now: dt.datetime) -> SigningKey:
        ring = self.ring
        if ring is None:
            raise RuntimeError("the key ring is not loaded")
        kid = ring.signer(now)
        if kid in self.private:
            return self.private[kid]
        # a key whose private half this process cannot read (deleted by hand): the newest it can
        usable = [k for k in reversed(ring.kids) if k in self.private]
        if not usable:
            raise RuntimeError(f"no private half of any signing key (wanted {kid})")
        return self.private[usable[0]]

    def public(self, kid: str) -> dict[str, str] | None:
        return self._public.get(kid)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": list(self._public.values())}


class OwnKeys(KeySet):
    """The service's own published keys, looked up in memory (never over HTTP to itself: a verifier
    runs on the event loop, where no I/O may wait), then those of `also` (VANGUARD_TOKEN_KEYS, say
    the embedded stack's development key for `./vanguard token admin`)."""

    def __init__(self, public: Callable[[str], dict[str, str] | None], also: KeySet | None = None) -> None:
        super().__init__('{"keys": []}')
        self._lookup = public
        self._also = also
        self._parsed: dict[str, tuple[Any, str]] = {}

    def get(self, kid: str) -> tuple[Any, str] | None:
        jwk = self._lookup(kid)
        if jwk is None:
            return self._also.get(kid) if self._also is not None else None
        found = self._parsed.get(kid)
        if found is None:
            found = self._parsed[kid] = (jwt.PyJWK(jwk, "EdDSA").key, "EdDSA")
        return found
