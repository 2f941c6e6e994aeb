"""Fetch an instance's history for the auditors: its stored events row for row (`GET /audit/stored`,
with an auditor token), the chain over them, and the checkpoints among them, as an `Archive`.
The projection's copy of the checkpoints (`GET /audit/checkpoints`) can be added: a store whose
own checkpoint events were cut away or rewritten is still held to what it signed."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import os
from collections.abc import Callable
from typing import Any

import httpx

from shared.audit.archive import Archive
from shared.audit.chain import GENESIS, Link, StoredEvent, link
from shared.audit.checkpoint import Checkpoint
from shared.audit.record import TOPIC_SUFFIX
from shared.auth.development import development_key
from shared.auth.principal import Principal, Role
from shared.auth.tokens import TokenIssuer

PAGE = 5000
Progress = Callable[[int, int], None]  # (events so far, total known)


class FetchError(RuntimeError):
    """The instance could not be read: unreachable, refused the token, or answered nonsense."""


def auditor_token(token: str | None) -> str:
    """The token given, else $VANGUARD_TOKEN, else (on the embedded stack) an auditor's minted with
    its development key, valid for an hour."""
    token = token or os.environ.get("VANGUARD_TOKEN")
    if token:
        return token
    try:
        return TokenIssuer(development_key()).mint(Principal("audit-cli", Role.AUDITOR), ttl_seconds=3600)
    except ValueError as error:
        raise FetchError(f"no token: pass --token (an auditor's) or set VANGUARD_TOKEN ({error})") from None


def _get(client: httpx.Client, url: str, params: dict[str, Any]) -> Any:
    try:
        response = client.get(url, params=params)
    except httpx.HTTPError as error:
        raise FetchError(f"cannot reach {url}: {type(error).__name__}: {error}") from None
    if response.status_code != 200:
        try:
            detail = response.json().get("detail") or response.text
        except ValueError:
            detail = response.text
        raise FetchError(f"{url} answered {response.status_code}: {str(detail)[:300]}")
    try:
        return response.json()
    except ValueError:
        raise FetchError(f"{url} did not answer JSON: is it a Vanguard service?") from None


def checkpoint_of(service: str, instance: str, state: bytes) -> tuple[Checkpoint, str] | None:
    """A Checkpointed event's checkpoint and the key it names, or None if its state is not one."""
    try:
        data = json.loads(state)
        checkpoint = Checkpoint(
            service,
            instance,
            int(data["position"]),
            bytes.fromhex(data["head"]),
            str(data["at"]),
            base64.b64decode(data["signature"], validate=True),
        )
        return checkpoint, str(data["public_key"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None


def fetch_archive(
    service: str,
    instance: str,
    url: str,
    token: str,
    *,
    public_key: str = "",
    projection_url: str = "",
    progress: Progress | None = None,
) -> Archive:
    """The instance's whole history as an archive (its chain recomputed from the rows as they are)."""
    headers = {"Authorization": f"Bearer {token}"}
    links: list[Link] = []
    checkpoints: dict[int, Checkpoint] = {}
    keys: list[str] = []
    head = GENESIS
    with httpx.Client(headers=headers, timeout=60) as client:
        health = _get(client, f"{url}/health", {})
        if health.get("service") != service or health.get("instance") != instance:
            raise FetchError(
                f"{url} is {health.get('service')}/{health.get('instance')}, not {service}/{instance}: check the URL"
            )

        def read_on() -> int:
            """Read the store on from where the archive ends; how many events came."""
            nonlocal head
            after, count = links[-1].event.position if links else 0, 0
            while True:
                page = _get(client, f"{url}/audit/stored", {"after": after, "limit": PAGE})
                for row in page["events"]:
                    event = StoredEvent(
                        int(row["position"]),
                        row["originator_id"],
                        int(row["originator_version"]),
                        row["topic"],
                        base64.b64decode(row["state"]),
                    )
                    following = link(head, event)
                    links.append(Link(event, head, following))
                    head = following
                    count += 1
                    if event.topic.endswith(TOPIC_SUFFIX):
                        found = checkpoint_of(service, instance, event.state)
                        if found is not None:
                            checkpoints[found[0].position] = found[0]
                            if found[1] not in keys:
                                keys.append(found[1])
                after = page["next_after"]
                if progress is not None:
                    progress(len(links), max(page["last"], len(links)))
                if not page["more"]:
                    return count

        read_on()
        if projection_url:
            kept = _projection_checkpoints(client, projection_url, service, instance)
            if links and any(c.position > links[-1].event.position for c in kept):
                read_on()  # signed after our read? Then the store has those events now; if not, its tail was cut
            for c in kept:
                checkpoints.setdefault(c.position, c)
    exported = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    archive = Archive(service, instance, public_key or (keys[-1] if keys else ""), exported, links)
    archive.checkpoints = [checkpoints[p] for p in sorted(checkpoints)]
    return archive


def _projection_checkpoints(client: httpx.Client, url: str, service: str, instance: str) -> list[Checkpoint]:
    found: list[Checkpoint] = []
    after = 0
    while True:
        rows = _get(
            client,
            f"{url}/audit/checkpoints",
            {"service": service, "instance": instance, "after": after, "limit": 10000},
        )
        for r in rows:
            found.append(
                Checkpoint(
                    service,
                    instance,
                    int(r["position"]),
                    bytes.fromhex(r["head"]),
                    r["at"],
                    base64.b64decode(r["signature"]),
                )
            )
        if len(rows) < 10000:
            return found
        after = found[-1].position
