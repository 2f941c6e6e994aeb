"""The projection's own aggregates: 加减分 need a second organiser and stay within the scheme's
limits; a period is published once, then corrected only with a reason; one key, one command."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from services.projection.assessment.ledger import PeriodBook, SchemeLedger, points
from shared.errors import InvalidInput, InvalidTransition, NotFound

A = {"id": "org-a", "role": "organiser"}
B = {"id": "org-b", "role": "organiser"}
ROOM = (Decimal(5), Decimal(10))
NOW = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)


def propose(book: PeriodBook, key: str, amount: object, subject: str = "fgw-b1", who: dict[str, str] = A) -> None:
    book.propose(key, "branch", "fgw", subject, amount, "理由", ["文件"], ROOM, who, f"request-{key}", NOW)


def test_an_adjustment_counts_only_once_another_organiser_approves_it() -> None:
    book = PeriodBook.open(2026, A)
    propose(book, "x", 3)
    assert book.adjustments["x"]["state"] == "pending" and book.adjustments["x"]["points"] == "3.00"
    with pytest.raises(InvalidTransition, match="second organiser"):
        book.approve("x", ROOM, A, None, NOW)
    book.approve("x", ROOM, B, None, NOW)
    assert (book.adjustments["x"]["state"], book.adjustments["x"]["decided_by"]) == ("approved", B)
    with pytest.raises(InvalidTransition, match="already approved"):
        book.reject("x", "晚了", B, None, NOW)
    with pytest.raises(NotFound):
        book.approve("nope", ROOM, B, None, NOW)


def test_limits_count_pending_adjustments_when_proposing_and_approved_ones_when_approving() -> None:
    book = PeriodBook.open(2026, A)
    propose(book, "x", 3)
    with pytest.raises(InvalidInput, match="at most 5 points"):
        propose(book, "y", 3)
    propose(book, "y", 2)
    propose(book, "z", -10, subject="fgw-b2")
    with pytest.raises(InvalidInput, match="deducted at most 10"):
        propose(book, "w", Decimal("-0.01"), subject="fgw-b2")
    propose(book, "v", -1)  # another subject's deductions are its own
    book.reject("x", "依据不足", B, None, NOW)
    propose(book, "u", 3)  # the rejected 3 no longer takes room


@pytest.mark.parametrize("amount", [0, "1.234", "abc", "NaN", "Infinity", 1001, -1001])
def test_points_are_non_zero_finite_two_decimal_numbers_within_a_thousand(amount: object) -> None:
    with pytest.raises(InvalidInput):
        points(amount)


def test_a_period_is_published_once_then_corrected_with_a_reason() -> None:
    book = PeriodBook.open(2026, A)
    assert book.publish("2026-v1", "h" * 64, dt.date(2026, 12, 31), {"branch": 3}, None, A, "k1", NOW) == 1
    with pytest.raises(InvalidTransition, match="a correction is a new publication with a reason"):
        book.publish("2026-v1", "h" * 64, dt.date(2026, 12, 31), {"branch": 3}, "  ", A, "k2", NOW)
    assert book.publish("2026-v1", "h" * 64, dt.date(2026, 12, 31), {"branch": 3}, "补录", B, "k3", NOW) == 2
    assert [(p["number"], p["reason"]) for p in book.publications] == [(1, None), (2, "补录")]


def test_one_idempotency_key_answers_one_command() -> None:
    book = PeriodBook.open(2026, A)
    propose(book, "x", 1)
    assert book.answer("request-x", "propose") == "x"
    assert book.answer("other", "propose") is None
    with pytest.raises(InvalidInput, match="used for another command"):
        book.answer("request-x", "publish")


def test_the_scheme_ledger_keeps_the_first_hash_of_a_version() -> None:
    ledger = SchemeLedger.start()
    ledger.adopt("2026-v1", "a" * 64, "2026-v1.yaml")
    ledger.adopt("2026-v1", "a" * 64, "copy/2026-v1.yaml")  # the same content: nothing new
    assert len(ledger.collect_events()) == 2
    with pytest.raises(InvalidTransition, match="already known"):
        ledger.adopt("2026-v1", "b" * 64, "2026-v1.yaml")
