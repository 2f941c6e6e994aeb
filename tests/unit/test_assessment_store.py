"""The projection's own application on the library's in-memory store: publishing refuses scores
computed before a 加减分 was decided, so no publication misses one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from services.projection.assessment.scheme import SchemeRegistry
from services.projection.assessment_app import AssessmentApplication
from shared.auth import Principal, Role
from shared.errors import Forbidden, StaleVersion

A = Principal("org-a", Role.ORGANISER)
B = Principal("org-b", Role.ORGANISER)
ROOM = (Decimal(5), Decimal(10))
SCHEME = SchemeRegistry().load_folder()[0]
SCORES: dict[str, list[dict[str, object]]] = {"branch": [], "secretary": [], "department": []}


def test_a_publication_prepared_before_an_adjustment_was_decided_is_refused_and_records_nothing() -> None:
    store = AssessmentApplication({})
    proposed = store.propose(A, 2026, "branch", "fgw", "fgw-b1", 2, "专项", [], ROOM, "k1")
    seen = store.book(2026).version  # the scores are computed now…
    store.decide(B, 2026, proposed["adjustment_id"], True, "", ROOM, "k2")  # …and meanwhile this lands
    with pytest.raises(StaleVersion, match="publish again"):
        store.publish(A, 2026, SCHEME, dt.date(2026, 12, 31), SCORES, None, "k3", seen)
    assert store.book(2026).publications == []
    published = store.publish(A, 2026, SCHEME, dt.date(2026, 12, 31), SCORES, None, "k4", store.book(2026).version)
    assert published["number"] == 1 and store.publication(2026, 1).scheme_hash == SCHEME.content_hash
    assert [a.adjustment.points for a in store.approved_in(store.book(2026))] == [Decimal("2.00")]


def test_only_organisers_act_on_the_book_and_a_retried_request_answers_the_same() -> None:
    store = AssessmentApplication({})
    with pytest.raises(Forbidden):
        store.propose(Principal("aud", Role.AUDITOR), 2026, "branch", "fgw", "b1", 1, "x", [], ROOM, "k")
    first = store.publish(A, 2026, SCHEME, dt.date(2026, 12, 31), SCORES, None, "same", 0)
    again = store.publish(A, 2026, SCHEME, dt.date(2026, 12, 31), SCORES, None, "same", 0)
    assert first == again and len(store.book(2026).publications) == 1
