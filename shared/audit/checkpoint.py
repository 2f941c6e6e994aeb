"""Signed checkpoints: an instance's Ed25519 signature over (service, instance, position, head, time).

Keys are raw 32-byte Ed25519 keys, written as base64 (`make_key` makes a pair)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat


@dataclass(frozen=True, slots=True)
class Checkpoint:
    service: str
    instance: str
    position: int
    head: bytes
    at: str  # ISO time it was signed
    signature: bytes = b""

    def message(self) -> bytes:
        fields = ("vanguard-checkpoint/1", self.service, self.instance, str(self.position), self.head.hex(), self.at)
        return "\x1f".join(fields).encode()


def make_key() -> tuple[str, str]:
    """A new key pair as base64: (private, public)."""
    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode(), base64.b64encode(public).decode()


def _raw(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"the {what} is not base64") from None
    if len(raw) != 32:
        raise ValueError(f"the {what} is {len(raw)} bytes long; an Ed25519 key is 32")
    return raw


def public_key_of(private: str) -> str:
    key = Ed25519PrivateKey.from_private_bytes(_raw(private, "private key"))
    return base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def sign(checkpoint: Checkpoint, private: str) -> Checkpoint:
    key = Ed25519PrivateKey.from_private_bytes(_raw(private, "private key"))
    return Checkpoint(
        checkpoint.service,
        checkpoint.instance,
        checkpoint.position,
        checkpoint.head,
        checkpoint.at,
        key.sign(checkpoint.message()),
    )


def signed_by(checkpoint: Checkpoint, public: str) -> bool:
    key = Ed25519PublicKey.from_public_bytes(_raw(public, "public key"))
    try:
        key.verify(checkpoint.signature, checkpoint.message())
    except InvalidSignature:
        return False
    return True
