"""The chain's own record in each event store: one AuditChain aggregate per instance, whose events
are the signed checkpoints. Kept in the store it vouches for, so they travel with its events (the
relay publishes them like any event, the projection keeps every instance's, an export carries them).

The aggregate belongs to no department (`department` is empty): only readers of every department
(auditors, admins) see it in the projection's feeds."""

from __future__ import annotations

import uuid

from eventsourcing.domain import event

from shared.domain import VanguardAggregate, derived_id

SYSTEM_ACTOR = {"id": "audit-chain", "role": "system"}
TOPIC_SUFFIX = ":AuditChain.Checkpointed"  # a stored event's topic ends so when it is a checkpoint


def chain_id(service: str, instance: str) -> uuid.UUID:
    return derived_id("audit-chain", service, instance)


class AuditChain(VanguardAggregate):
    department = ""
    branch = None

    @event("Started")
    def __init__(self, service: str, instance: str, actor: dict[str, str] | None = None) -> None:
        self.service = service
        self.instance = instance
        self.position = 0
        self.head = ""

    @classmethod
    def create_id(cls, service: str, instance: str, actor: dict[str, str] | None = None) -> uuid.UUID:
        return chain_id(service, instance)

    @event("Checkpointed")
    def checkpointed(
        self, position: int, head: str, at: str, signature: str, public_key: str, actor: dict[str, str] | None = None
    ) -> None:
        """The instance signed (position, head, at): `head` in hex, `signature` and `public_key` in base64."""
        self.position = position
        self.head = head
