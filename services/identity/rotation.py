"""The signing keys: made at the first start (or taken from the key file), rotated by an admin,
published as the JWKS."""

from __future__ import annotations

import json
from typing import Any

from eventsourcing.persistence import IntegrityError

from services.identity.core import RETRIES, IdentityCore, utc_now
from services.identity.domain import SYSTEM
from services.identity.keyring import RING_ID, KeyRing
from shared.auth import Principal
from shared.auth.keys import SigningKey
from shared.errors import Busy


class KeyRotation(IdentityCore):
    def ensure_keys(self, initial: SigningKey | None) -> None:
        """At start: a ring with a key. The key file's key joins it if new (first, or a rotation by file)."""
        for _ in range(RETRIES):
            ring = self.find(KeyRing, RING_ID) or KeyRing.start(SYSTEM)
            if initial is not None and initial.kid in ring.kids:
                break
            if initial is None and ring.kids:
                break
            key = initial or SigningKey.generate()
            self.vault.put_private_key(key.kid, json.dumps(key.private_jwk()))
            now = utc_now()
            ring.publish(key.public_jwk(), now + self.policy.activation if ring.kids else now, SYSTEM, None)
            try:
                self.record(ring)
                break
            except IntegrityError:  # another worker started the ring meanwhile
                continue
        self.reload_keys()

    def rotate_keys(self, who: Principal, request_id: str | None) -> KeyRing:
        """A new key: published now, signing after the activation delay; retired keys' private halves go."""
        self.authorise_admin(who)
        for _ in range(RETRIES):
            ring = self.get(KeyRing, RING_ID)
            if ring.answered(request_id):
                return ring
            key = SigningKey.generate()
            self.vault.put_private_key(key.kid, json.dumps(key.private_jwk()))
            ring.publish(key.public_jwk(), utc_now() + self.policy.activation, who.as_actor(), request_id)
            try:
                self.record(ring)
            except IntegrityError:
                self.vault.drop_private_keys([key.kid])
                continue
            self.vault.drop_private_keys(ring.retired(utc_now(), self.policy.key_lifetime))
            self.reload_keys()
            return ring
        raise Busy("the key ring is changing fast; try again")

    def key_schedule(self, who: Principal) -> list[dict[str, Any]]:
        self.authorise_admin(who)
        self.reload_keys()
        ring = self.keys.ring
        return ring.schedule(utc_now(), self.policy.key_lifetime) if ring else []

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        self.fresh_keys()
        return self.keys.jwks()
