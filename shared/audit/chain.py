"""The hash chain over an event store: h(n) = SHA-256(h(n-1) ‖ canonical bytes of event n), in
notification order, from 32 zero bytes. The position is part of what is hashed, so the chain
fixes the order as well as the content."""

from __future__ import annotations

import hashlib
from typing import NamedTuple

GENESIS = bytes(32)


class StoredEvent(NamedTuple):
    """An event as the store keeps it, at its notification position (a tuple: an archive holds
    millions, and a tuple is the cheapest object to make)."""

    position: int
    originator_id: str
    originator_version: int
    topic: str
    state: bytes


def canonical(event: StoredEvent) -> bytes:
    """Each field with its length before it: no two different events give the same bytes."""
    head = f"{event.position}\x1f{event.originator_id}\x1f{event.originator_version}\x1f{event.topic}".encode()
    return len(head).to_bytes(4, "big") + head + len(event.state).to_bytes(4, "big") + event.state


def link(previous: bytes, event: StoredEvent) -> bytes:
    return hashlib.sha256(previous + canonical(event)).digest()


class Link(NamedTuple):
    """An event with the chain's head before it and after it."""

    event: StoredEvent
    previous: bytes
    head: bytes


def extend(head: bytes, events: list[StoredEvent]) -> list[Link]:
    """The links of `events`, in order, after a chain whose head is `head`."""
    links = []
    for event in events:
        following = link(head, event)
        links.append(Link(event, head, following))
        head = following
    return links
