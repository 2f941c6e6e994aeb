"""The key ring: which signing keys the identity service has published, and from when each signs.

Public halves only (the private ones stay in the vault). A key is published first and signs only
`activation` later: a service's KeySet fetches the JWKS again when a token names a key id it does
not know, but not twice within a short pause; a key that waits longer than that pause before it
signs is one every verifier can find, even when two rotations come close together. A
key stops signing when its successor starts, and leaves the JWKS once every token it signed has
expired. Rotation is an event like any other: an auditor sees who rotated, when, and each key's
public half.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from eventsourcing.domain import event

from shared.domain import VanguardAggregate, derived_id, require

RING_ID = derived_id("keyring", "identity", "signing")


class KeyRing(VanguardAggregate):
    """The identity service's signing keys (密钥), oldest first."""

    @event("Started")
    def __init__(self, actor: dict[str, str], request_id: str | None) -> None:
        self.department = "*"
        self.branch = None
        self.keys: list[dict[str, Any]] = []  # {"kid", "jwk", "signs_from"}, in order of signs_from
        self._remember(request_id)

    @classmethod
    def start(cls, actor: dict[str, str]) -> KeyRing:
        return cls._create(cls.Started, id=RING_ID, actor=actor, request_id=None)

    @property
    def kids(self) -> list[str]:
        return [k["kid"] for k in self.keys]

    def publish(
        self, jwk: dict[str, str], signs_from: dt.datetime, actor: dict[str, str], request_id: str | None
    ) -> None:
        """Publish a key's public half now; it signs from `signs_from` (never before the last key)."""
        require("d" not in jwk, "only a public key goes on the ring")
        require(jwk["kid"] not in self.kids, f"key {jwk['kid']} is already on the ring")
        if self.keys:
            signs_from = max(signs_from, dt.datetime.fromisoformat(self.keys[-1]["signs_from"]))
        self._key_published(
            kid=jwk["kid"], jwk=jwk, signs_from=signs_from.isoformat(), actor=actor, request_id=request_id
        )

    @event("KeyPublished")
    def _key_published(
        self, kid: str, jwk: dict[str, str], signs_from: str, actor: dict[str, str], request_id: str | None
    ) -> None:
        self.keys.append({"kid": kid, "jwk": dict(jwk), "signs_from": signs_from})
        self._remember(request_id)

    def signer(self, now: dt.datetime) -> str | None:
        """The key id that signs now: the newest key whose time has come (else the first key)."""
        started = [k["kid"] for k in self.keys if dt.datetime.fromisoformat(k["signs_from"]) <= now]
        if started:
            return started[-1]
        return self.keys[0]["kid"] if self.keys else None

    def schedule(self, now: dt.datetime, lifetime: dt.timedelta) -> list[dict[str, Any]]:
        """Every key with its state (next, current, previous, retired) and when it stops signing and
        leaves the JWKS: `lifetime` after its successor started (the longest a token it signed lives)."""
        current = self.signer(now)
        rows = []
        for i, key in enumerate(self.keys):
            successor = self.keys[i + 1] if i + 1 < len(self.keys) else None
            until = dt.datetime.fromisoformat(successor["signs_from"]) if successor else None
            retires = until + lifetime if until else None
            if key["kid"] == current:
                state = "current"
            elif dt.datetime.fromisoformat(key["signs_from"]) > now:
                state = "next"
            else:
                state = "retired" if retires is not None and retires <= now else "previous"
            rows.append(
                {
                    "kid": key["kid"],
                    "state": state,
                    "signs_from": key["signs_from"],
                    "signs_until": until.isoformat() if until else None,
                    "published_until": retires.isoformat() if retires else None,
                }
            )
        return rows

    def published(self, now: dt.datetime, lifetime: dt.timedelta) -> list[dict[str, str]]:
        """The public keys of the JWKS: every key but the retired ones."""
        states = {row["kid"]: row["state"] for row in self.schedule(now, lifetime)}
        return [dict(k["jwk"]) for k in self.keys if states[k["kid"]] != "retired"]

    def retired(self, now: dt.datetime, lifetime: dt.timedelta) -> list[str]:
        return [row["kid"] for row in self.schedule(now, lifetime) if row["state"] == "retired"]
