"""The projection's event-sourced application: 加减分 and publications of the assessment, and the
ledger of scheme versions. Commands are sync (the eventsourcing library's); endpoints run them in
bridge greenlets (shared.api.routes.run_sync)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any
from uuid import uuid4

from eventsourcing.persistence import IntegrityError

from services.projection.assessment.facts import Adjustment
from services.projection.assessment.fold import SubjectAdjustment
from services.projection.assessment.ledger import (
    SCHEME_LEDGER_ID,
    PeriodBook,
    Publication,
    SchemeLedger,
    book_id,
    publication_id,
)
from services.projection.assessment.scheme import Scheme, SchemeError
from shared.application import VanguardApplication
from shared.auth import Principal, Role
from shared.domain import derived_id
from shared.errors import StaleVersion

FROZEN_KEPT = 16  # publications kept in memory once read
ATTEMPTS = 3  # a command that lost a race for the period's book is tried again on the new version


class AssessmentApplication(VanguardApplication):
    name = "assessment"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._frozen: dict[tuple[int, int], Publication] = {}

    # -- schemes ----------------------------------------------------------------------------------
    def adopt(self, schemes: Iterable[Scheme]) -> dict[str, str]:
        """Record every scheme version's content hash the first time it is used; a file whose version
        is already known with other content is refused (SchemeError, naming the file)."""
        ledger = self.find(SchemeLedger, SCHEME_LEDGER_ID) or SchemeLedger.start()
        for scheme in schemes:
            known = ledger.hashes.get(scheme.version)
            if known is not None and known != scheme.content_hash:
                raise SchemeError(
                    f"{scheme.source}: version {scheme.version} is already known with different content "
                    f"(sha256 {known[:12]}…, this file {scheme.content_hash[:12]}…); "
                    "a changed scheme is a new file with a new version"
                )
            ledger.adopt(scheme.version, scheme.content_hash, scheme.source)
        try:
            self.record(ledger)
        except IntegrityError:  # another worker adopted them at the same moment: check against its record
            return self.adopt(schemes)
        return dict(ledger.hashes)

    # -- the period's book ------------------------------------------------------------------------
    def book(self, period: int) -> PeriodBook | None:
        return self.find(PeriodBook, book_id(period))

    @staticmethod
    def approved_in(book: PeriodBook | None) -> list[SubjectAdjustment]:
        """The 加减分 that count: those a second organiser approved."""
        if book is None:
            return []
        return [
            SubjectAdjustment(
                a["subject_type"],
                a.get("department", ""),
                a["subject_id"],
                book.period,
                Adjustment(Decimal(a["points"]), a["reason"], (f"adjustment:{a['adjustment_id']}",)),
            )
            for a in book.adjustments.values()
            if a["state"] == "approved"
        ]

    def _on_book(
        self,
        who: Principal,
        period: int,
        request_id: str | None,
        command: str,
        act: Callable[[PeriodBook], Any],
        seen: int | None = None,
    ) -> tuple[PeriodBook, str]:
        """Load (or open) the period's book, act, save with what the act made; a retried request
        answers what it made the first time. A lost race for the book is tried again, unless the
        command was prepared from the book at version `seen` and the book has moved since."""
        who.require_role(Role.ORGANISER)
        for _ in range(ATTEMPTS):
            found = self.book(period)
            book = found or PeriodBook.open(period, who.as_actor())
            done = book.answer(request_id, command)
            if done is not None:
                return book, done
            now = found.version if found else 0
            if seen is not None and now != seen:
                raise StaleVersion(
                    f"the 加减分 of {period} changed while its scores were computed (book version {seen}, now "
                    f"{now}); nothing was recorded: publish again",
                    expected_version=seen,
                )
            made = act(book)
            try:
                self.record(book, *made)
            except IntegrityError:
                continue
            return book, ""
        raise StaleVersion(f"the book of {period} changed while this was recorded; try again")

    def propose(
        self,
        who: Principal,
        period: int,
        subject_type: str,
        department: str,
        subject_id: str,
        points: Any,
        reason: str,
        evidence: list[str],
        room: tuple[Decimal, Decimal],
        request_id: str | None,
    ) -> dict[str, Any]:
        adjustment_id = str(derived_id("adjustment", str(period), request_id) if request_id else uuid4())

        def act(book: PeriodBook) -> tuple[()]:
            book.propose(
                adjustment_id,
                subject_type,
                department,
                subject_id,
                points,
                reason,
                evidence,
                room,
                who.as_actor(),
                request_id,
                self.now(),
            )
            return ()

        book, done = self._on_book(who, period, request_id, "propose", act)
        return book.adjustments[done or adjustment_id]

    def decide(
        self,
        who: Principal,
        period: int,
        adjustment_id: str,
        approve: bool,
        reason: str,
        room: tuple[Decimal, Decimal],
        request_id: str | None,
    ) -> dict[str, Any]:
        def act(book: PeriodBook) -> tuple[()]:
            if approve:
                book.approve(adjustment_id, room, who.as_actor(), request_id, self.now())
            else:
                book.reject(adjustment_id, reason, who.as_actor(), request_id, self.now())
            return ()

        book, done = self._on_book(who, period, request_id, "approved" if approve else "rejected", act)
        return book.adjustments[done or adjustment_id]

    # -- publication ------------------------------------------------------------------------------
    def publish(
        self,
        who: Principal,
        period: int,
        scheme: Scheme,
        as_of: dt.date,
        scores: Mapping[str, list[dict[str, Any]]],
        reason: str | None,
        request_id: str | None,
        seen: int,
    ) -> dict[str, Any]:
        """Freeze the period's scores, computed with the book at version `seen`: the book lists the
        publication, its own aggregate keeps the scores."""

        def act(book: PeriodBook) -> tuple[Publication]:
            counts = {kind: len(rows) for kind, rows in scores.items()}
            number = book.publish(
                scheme.version, scheme.content_hash, as_of, counts, reason, who.as_actor(), request_id, self.now()
            )
            frozen = Publication.record_scores(
                period, number, scheme.version, scheme.content_hash, dict(scores), who.as_actor()
            )
            return (frozen,)

        book, done = self._on_book(who, period, request_id, "publish", act, seen)
        return book.publications[int(done) - 1] if done else book.publications[-1]

    def publication(self, period: int, number: int) -> Publication | None:
        """A publication's frozen scores; read once, kept (they never change)."""
        found = self._frozen.get((period, number))
        if found is None:
            found = self.find(Publication, publication_id(period, number))
            if found is not None:
                self._frozen[(period, number)] = found
                while len(self._frozen) > FROZEN_KEPT:
                    self._frozen.pop(next(iter(self._frozen)))
        return found
