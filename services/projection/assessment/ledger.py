"""The projection's own event store: what the organisation department (组织部) decided.

Pure domain, no I/O. A period's book (one aggregate per period) holds its 加减分 — proposed by one
organiser, counted only once a second organiser approves — and the list of its publications. Each
publication's frozen scores are an aggregate of their own, recorded in the same save as the book's
event, so reading the book never loads every score ever published. The scheme ledger remembers
the content hash of every scheme version the service has used: a file that changes a known
version is refused at start.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from services.projection.assessment.facts import SUBJECT_TYPES
from shared.domain import VanguardAggregate, check, derived_id, require, text
from shared.errors import InvalidInput, NotFound

MAX_REASON = 500
MAX_EVIDENCE = 20


def book_id(period: int) -> UUID:
    return derived_id("assessment", "period", str(period))


def publication_id(period: int, number: int) -> UUID:
    return derived_id("assessment", "publication", f"{period}/{number}")


SCHEME_LEDGER_ID = derived_id("assessment", "schemes", "ledger")


def points(value: Any) -> Decimal:
    """Adjustment points: a non-zero number with at most two decimals, within ±1000."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"points must be a number such as 2 or -1.5, not '{value}'") from None
    check(number.is_finite(), f"points must be a finite number, not '{value}'")
    check(number != 0, "points must not be zero: an adjustment adds or deducts")
    check(abs(number) <= 1000, f"points {value} are out of range (−1000 to 1000)")
    check(number == number.quantize(Decimal("0.01")), f"points {value} have more than two decimals")
    return number.quantize(Decimal("0.01"))


class PeriodBook(VanguardAggregate):
    """考核周期: one period's 加减分 and the list of its publications."""

    @event("Opened")
    def __init__(self, period: int, actor: dict[str, str], request_id: str | None) -> None:
        self.department = "*"
        self.branch = None
        self.period = period
        self.adjustments: dict[str, dict[str, Any]] = {}
        self.publications: list[dict[str, Any]] = []
        self.answers: dict[str, tuple[str, str]] = {}  # request id → (command, what it made or decided)

    def answer(self, request_id: str | None, command: str) -> str | None:
        """What a retried request made before, or None for a new request; a key already used for
        another command is refused (a client must send a new key per command)."""
        if not request_id or request_id not in self.answers:
            return None
        done, ref = self.answers[request_id]
        check(done == command, f"Idempotency-Key {request_id} was used for another command ({done}); send a new key")
        return ref

    def _answered(self, request_id: str | None, command: str, ref: str) -> None:
        if request_id:
            self.answers[request_id] = (command, ref)
            self._remember(request_id)

    @classmethod
    def open(cls, period: int, actor: dict[str, str]) -> PeriodBook:
        return cls._create(cls.Opened, id=book_id(period), period=period, actor=actor, request_id=None)

    # -- 加减分 ----------------------------------------------------------------------------------
    def propose(
        self,
        adjustment_id: str,
        subject_type: str,
        department: str,
        subject_id: str,
        amount: Any,
        reason: str,
        evidence: list[str],
        room: tuple[Decimal, Decimal],
        actor: dict[str, str],
        request_id: str | None,
        at: dt.datetime,
    ) -> None:
        check(
            subject_type in SUBJECT_TYPES, f"subject type '{subject_type}' is unknown; use {', '.join(SUBJECT_TYPES)}"
        )
        value = points(amount)
        self._within(subject_type, department, subject_id, value, room, counting_pending=True)
        check(len(evidence) <= MAX_EVIDENCE, f"at most {MAX_EVIDENCE} pieces of evidence")
        self._proposed(
            adjustment_id=adjustment_id,
            subject_type=subject_type,
            department=text(department, "department", 64),
            subject_id=text(subject_id, "subject id", 64),
            points=str(value),
            reason=text(reason, "reason", MAX_REASON),
            evidence=[text(e, "evidence", 500) for e in evidence],
            at=at.isoformat(),
            actor=actor,
            request_id=request_id,
        )

    def _within(
        self,
        subject_type: str,
        department: str,
        subject_id: str,
        value: Decimal,
        room: tuple[Decimal, Decimal],
        counting_pending: bool,
    ) -> None:
        """The scheme's limits on one subject's adjustments in the period (approved, and pending ones
        when proposing, so that approving everything proposed never exceeds them)."""
        states = ("approved", "pending") if counting_pending else ("approved",)
        taken = [
            Decimal(a["points"])
            for a in self.adjustments.values()
            if (a["subject_type"], a.get("department"), a["subject_id"]) == (subject_type, department, subject_id)
            and a["state"] in states
        ]
        max_add, max_deduct = room
        if value > 0:
            added = sum((p for p in taken if p > 0), Decimal(0))
            check(
                added + value <= max_add,
                f"{subject_type} {subject_id} may be added at most {max_add} points in {self.period}; "
                f"{added} are already {'approved or pending' if counting_pending else 'approved'}",
            )
        else:
            deducted = -sum((p for p in taken if p < 0), Decimal(0))
            check(
                deducted - value <= max_deduct,
                f"{subject_type} {subject_id} may be deducted at most {max_deduct} points in {self.period}; "
                f"{deducted} are already {'approved or pending' if counting_pending else 'approved'}",
            )

    @event("AdjustmentProposed")
    def _proposed(
        self,
        adjustment_id: str,
        subject_type: str,
        department: str,
        subject_id: str,
        points: str,
        reason: str,
        evidence: list[str],
        at: str,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.adjustments[adjustment_id] = {
            "adjustment_id": adjustment_id,
            "period": self.period,
            "subject_type": subject_type,
            "department": department,
            "subject_id": subject_id,
            "points": points,
            "reason": reason,
            "evidence": list(evidence),
            "state": "pending",
            "proposed_by": dict(actor),
            "proposed_at": at,
            "decided_by": None,
            "decided_at": None,
            "decision_reason": None,
        }
        self._answered(request_id, "propose", adjustment_id)

    def _pending(self, adjustment_id: str) -> dict[str, Any]:
        found = self.adjustments.get(adjustment_id)
        if found is None:
            raise NotFound(f"no adjustment {adjustment_id} in {self.period}")
        require(found["state"] == "pending", f"adjustment {adjustment_id} is already {found['state']}")
        return found

    def approve(
        self, adjustment_id: str, room: tuple[Decimal, Decimal], actor: dict[str, str], request_id: str | None, at: Any
    ) -> None:
        found = self._pending(adjustment_id)
        require(
            found["proposed_by"].get("id") != actor.get("id"),
            "an adjustment needs a second organiser's approval: its proposer may not approve it",
        )
        subject = (found["subject_type"], found.get("department", ""), found["subject_id"])
        self._within(*subject, Decimal(found["points"]), room, counting_pending=False)
        self._decided(
            adjustment_id=adjustment_id,
            state="approved",
            reason=None,
            at=at.isoformat(),
            actor=actor,
            request_id=request_id,
        )

    def reject(self, adjustment_id: str, reason: str, actor: dict[str, str], request_id: str | None, at: Any) -> None:
        self._pending(adjustment_id)
        self._decided(
            adjustment_id=adjustment_id,
            state="rejected",
            reason=text(reason, "reason", MAX_REASON),
            at=at.isoformat(),
            actor=actor,
            request_id=request_id,
        )

    @event("AdjustmentDecided")
    def _decided(
        self,
        adjustment_id: str,
        state: str,
        reason: str | None,
        at: str,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        found = self.adjustments[adjustment_id]
        found.update(state=state, decided_by=dict(actor), decided_at=at, decision_reason=reason)
        self._answered(request_id, state, adjustment_id)

    # -- publication ------------------------------------------------------------------------------
    def publish(
        self,
        scheme_version: str,
        scheme_hash: str,
        as_of: dt.date,
        counts: dict[str, int],
        reason: str | None,
        actor: dict[str, str],
        request_id: str | None,
        at: dt.datetime,
    ) -> int:
        """Record the next publication; a second one is a correction and needs a reason."""
        reason = text(reason, "reason", MAX_REASON, required=False) or None
        if self.publications:
            last = self.publications[-1]
            require(
                reason is not None,
                f"{self.period} was published on {last['at'][:10]} (publication {last['number']}); "
                "a correction is a new publication with a reason",
            )
        number = len(self.publications) + 1
        self._published(
            number=number,
            scheme_version=scheme_version,
            scheme_hash=scheme_hash,
            as_of=as_of.isoformat(),
            counts=dict(counts),
            reason=reason,
            at=at.isoformat(),
            actor=actor,
            request_id=request_id,
        )
        return number

    @event("Published")
    def _published(
        self,
        number: int,
        scheme_version: str,
        scheme_hash: str,
        as_of: str,
        counts: dict[str, int],
        reason: str | None,
        at: str,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.publications.append(
            {
                "number": number,
                "scheme_version": scheme_version,
                "scheme_hash": scheme_hash,
                "as_of": as_of,
                "counts": dict(counts),
                "reason": reason,
                "at": at,
                "by": dict(actor),
            }
        )
        self._answered(request_id, "publish", str(number))


class Publication(VanguardAggregate):
    """One publication's frozen scores: never changed after it is recorded."""

    @event("Recorded")
    def __init__(
        self,
        period: int,
        number: int,
        scheme_version: str,
        scheme_hash: str,
        scores: dict[str, list[dict[str, Any]]],
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.department = "*"
        self.branch = None
        self.period = period
        self.number = number
        self.scheme_version = scheme_version
        self.scheme_hash = scheme_hash
        self.scores = scores
        self._remember(request_id)

    @classmethod
    def record_scores(
        cls,
        period: int,
        number: int,
        scheme_version: str,
        scheme_hash: str,
        scores: dict[str, list[dict[str, Any]]],
        actor: dict[str, str],
    ) -> Publication:
        return cls._create(
            cls.Recorded,
            id=publication_id(period, number),
            period=period,
            number=number,
            scheme_version=scheme_version,
            scheme_hash=scheme_hash,
            scores=scores,
            actor=actor,
            request_id=None,
        )


class SchemeLedger(VanguardAggregate):
    """Every scheme version the service has used, with its content hash."""

    @event("Started")
    def __init__(self, actor: dict[str, str], request_id: str | None) -> None:
        self.department = "*"
        self.branch = None
        self.hashes: dict[str, str] = {}

    @classmethod
    def start(cls) -> SchemeLedger:
        return cls._create(
            cls.Started, id=SCHEME_LEDGER_ID, actor={"id": "projection", "role": "system"}, request_id=None
        )

    def adopt(self, version: str, content_hash: str, source: str) -> None:
        if self.hashes.get(version) == content_hash:
            return
        require(version not in self.hashes, f"scheme {version} is already known with another content hash")
        self._adopted(
            version=version,
            content_hash=content_hash,
            source=source,
            actor={"id": "projection", "role": "system"},
            request_id=None,
        )

    @event("Adopted")
    def _adopted(
        self, version: str, content_hash: str, source: str, actor: dict[str, str], request_id: str | None
    ) -> None:
        self.hashes[version] = content_hash
