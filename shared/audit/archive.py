"""The audit archive (.vgaudit): one instance's events with their chain links, its signed
checkpoints and its public key, as lines of UTF-8 text. Line 1 is the header (JSON); then one line
per event, in notification order, its fields separated by tabs (none of them can hold one):
`e, position, originator_id, version, topic, state (base64), previous head, head (hex)`; then one
JSON line per checkpoint, `{"c": [position, head (hex), at, signature (base64)]}`. Tabs, not JSON,
for the events: a verifier reads millions of them, and splitting a line costs a tenth of parsing it."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from shared.audit.chain import GENESIS, Link, StoredEvent, extend
from shared.audit.checkpoint import Checkpoint

FORMAT = "vanguard-audit/1"


class ArchiveError(ValueError):
    """A file that is not an audit archive, or is broken as a file (the message names the line)."""


@dataclass
class Archive:
    service: str
    instance: str
    public_key: str
    exported_at: str
    links: list[Link] = field(default_factory=list)
    checkpoints: list[Checkpoint] = field(default_factory=list)


def write(out: IO[str], archive: Archive) -> None:
    header = {
        "format": FORMAT,
        "service": archive.service,
        "instance": archive.instance,
        "public_key": archive.public_key,
        "exported_at": archive.exported_at,
    }
    out.write(json.dumps(header, ensure_ascii=False) + "\n")
    for lk in archive.links:
        e = lk.event
        state = base64.b64encode(e.state).decode()
        fields = (str(e.position), e.originator_id, str(e.originator_version), e.topic, state)
        out.write("\t".join(("e", *fields, lk.previous.hex(), lk.head.hex())) + "\n")
    for c in archive.checkpoints:
        row = [c.position, c.head.hex(), c.at, base64.b64encode(c.signature).decode()]
        out.write(json.dumps({"c": row}) + "\n")


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    if not path.exists():
        raise ArchiveError(f"{path}: no such file")
    if not path.is_file():
        raise ArchiveError(f"{path}: not a file")
    with path.open(encoding="utf-8", errors="strict") as f:
        try:
            yield from enumerate(f, start=1)
        except UnicodeDecodeError as error:
            raise ArchiveError(f"{path}: not an audit archive (not UTF-8 text: {error.reason})") from None


def _fields(path: Path, number: int, value: Any, kinds: tuple[type, ...]) -> list[Any]:
    if (
        not isinstance(value, list)
        or len(value) != len(kinds)
        or not all(
            isinstance(v, k) and not (k is int and isinstance(v, bool)) for v, k in zip(value, kinds, strict=False)
        )
    ):
        raise ArchiveError(
            f"{path}, line {number}: expected {len(kinds)} fields of the right types, got {value!r:.200}"
        )
    return value


def _bytes(path: Path, number: int, text: str, hexadecimal: bool) -> bytes:
    try:
        return bytes.fromhex(text) if hexadecimal else base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        raise ArchiveError(
            f"{path}, line {number}: {text[:40]!r} is not {'hex' if hexadecimal else 'base64'}"
        ) from None


def _link(path: Path, number: int, text: str) -> Link:
    """An event line's link; a line that is not one is refused naming the line and what is wrong."""
    fields = text.rstrip("\n").split("\t")
    if len(fields) != 8:
        raise ArchiveError(f"{path}, line {number}: an event line has 8 tab-separated fields, this one {len(fields)}")
    _, position, oid, version, topic, state, previous, head = fields
    try:
        event = StoredEvent(int(position), oid, int(version), topic, base64.b64decode(state, validate=True))
        return Link(event, bytes.fromhex(previous), bytes.fromhex(head))
    except (ValueError, binascii.Error) as error:
        raise ArchiveError(f"{path}, line {number}: a broken event line ({error})") from None


def read(path: Path) -> Archive:
    """The archive in `path`; ArchiveError if it is none, or is cut in the middle of a line."""
    lines = _lines(path)
    first = next(lines, None)
    if first is None:
        raise ArchiveError(f"{path}: empty; an audit archive starts with its header line")
    try:
        header = json.loads(first[1])
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ArchiveError(f"{path}, line 1: not an audit archive (expected a header of format {FORMAT})")
    try:
        archive = Archive(
            str(header["service"]), str(header["instance"]), str(header["public_key"]), str(header["exported_at"])
        )
    except KeyError as missing:
        raise ArchiveError(f"{path}, line 1: the header has no {missing}") from None
    for number, text in lines:
        if text.startswith("e\t"):
            archive.links.append(_link(path, number, text))
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError:
            raise ArchiveError(f"{path}, line {number}: not JSON (a file cut short?)") from None
        if isinstance(row, dict) and "c" in row:
            p, head, at, signature = _fields(path, number, row["c"], (int, str, str, str))
            archive.checkpoints.append(
                Checkpoint(
                    archive.service,
                    archive.instance,
                    p,
                    _bytes(path, number, head, True),
                    at,
                    _bytes(path, number, signature, False),
                )
            )
        else:
            raise ArchiveError(f"{path}, line {number}: neither an event nor a checkpoint")
    return archive


def links_of(events: Iterable[StoredEvent]) -> list[Link]:
    """The links of a store's events from its first: the chain an archive carries."""
    return extend(GENESIS, list(events))
