"""Offline verification of an audit archive: every altered, reordered, inserted or removed event,
a tail cut before the last checkpoint, and a checkpoint whose signature fails, each with its
position. Needs nothing but the archive (and, better, a public key the auditor trusts)."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

from shared.audit.archive import Archive
from shared.audit.chain import GENESIS, link
from shared.audit.checkpoint import signed_by


@dataclass(frozen=True)
class Problem:
    position: int
    kind: str  # altered, reordered, inserted, removed, tail-cut, signature, checkpoint
    message: str


@dataclass
class Report:
    events: int = 0
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    covered: int = 0  # the last position a valid checkpoint vouches for

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(archive: Archive, trusted_key: str | Sequence[str] | None = None) -> Report:
    """`trusted_key`: the instance's public key the auditor trusts, or several (its keys before and
    after a rotation): a checkpoint holds if any of them signed it."""
    report = Report(events=len(archive.links), checkpoints=len(archive.checkpoints))
    trusted = [trusted_key] if isinstance(trusted_key, str) else list(trusted_key or [])
    trusted = [k.strip() for k in trusted if k and k.strip()]
    keys = trusted or [archive.public_key]
    if trusted and archive.public_key.strip() not in trusted:
        report.notes.append("the archive names another public key than the ones you trust; checked with yours")
    elif not trusted:
        report.notes.append("checked with the public key the archive carries: pass --key to trust your own copy")
    problems = report.problems
    stored_heads: dict[bytes, int] = {GENESIS: 0}
    expected = GENESIS  # the head the next event's link must start from
    true_head, true_at = GENESIS, {}  # the chain recomputed from the contents alone, by position
    last_position = 0
    for lk in archive.links:
        p = lk.event.position
        if p <= last_position:
            problems.append(Problem(p, "reordered", f"position {p} comes after position {last_position}"))
        recomputed = link(lk.previous, lk.event)
        if recomputed != lk.head:
            problems.append(Problem(p, "altered", f"the event at position {p} does not match its recorded hash"))
        if lk.previous != expected:
            if lk.previous in stored_heads:
                since = stored_heads[lk.previous]
                problems.append(
                    Problem(p, "inserted", f"an event not in the chain comes between position {since} and {p}")
                )
            else:
                problems.append(
                    Problem(p, "removed", f"events are missing before position {p} (after position {last_position})")
                )
        stored_heads[lk.head] = p
        expected = lk.head
        true_head = recomputed if lk.previous == true_head else link(true_head, lk.event)
        true_at[p] = true_head
        last_position = max(last_position, p)
    positions = sorted(true_at)
    held = 0  # the last position a checkpoint vouches for, so far
    for c in sorted(archive.checkpoints, key=lambda c: c.position):
        if not any(_signed(c, key) for key in keys):
            problems.append(
                Problem(c.position, "signature", f"the checkpoint at position {c.position} is not signed by the key")
            )
            continue
        if c.position > last_position:
            problems.append(
                Problem(
                    c.position,
                    "tail-cut",
                    f"the checkpoint of {c.at} covers up to position {c.position}; the events end at {last_position}",
                )
            )
            continue
        index = bisect.bisect_right(positions, c.position)
        head = true_at[positions[index - 1]] if index else GENESIS
        if head != c.head:
            problems.append(
                Problem(
                    c.position,
                    "checkpoint",
                    f"the history up to position {c.position} differs from what was signed at {c.at}: "
                    f"an event after position {held} (the last checkpoint that holds) was changed, removed or inserted",
                )
            )
            continue
        held = max(held, c.position)
    if archive.checkpoints and last_position > held and not problems:
        report.notes.append(
            f"{last_position - held:,} event(s) after position {held} are not yet covered by a checkpoint"
        )
    report.covered = held
    return report


def _signed(checkpoint: object, key: str) -> bool:
    try:
        return signed_by(checkpoint, key)  # type: ignore[arg-type]
    except ValueError:
        return False
