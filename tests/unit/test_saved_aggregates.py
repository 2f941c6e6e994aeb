"""The per-process cache of saved aggregates: used only at the expected version, checked out."""

from __future__ import annotations

from uuid import uuid4

from services.filing.domain import Project, Topic
from shared.saved import SavedAggregates

ACTOR = {"id": "c-fgw", "name": "委员", "role": "committee"}


def topic(n: int = 0) -> Topic:
    topic = Topic.pose("fgw", 2026, "business_environment", f"课题 {n}", "说明", ACTOR, None, uuid4())
    topic.collect_events()
    return topic


def test_an_aggregate_is_handed_out_once_and_only_at_the_version_asked_for() -> None:
    saved = SavedAggregates()
    saved_topic = topic()
    saved.check_in(saved_topic)
    assert saved.check_out(Topic, saved_topic.id, saved_topic.version + 1) is None
    saved.check_in(saved_topic)
    assert saved.check_out(Project, saved_topic.id, saved_topic.version) is None
    saved.check_in(saved_topic)
    assert saved.check_out(Topic, saved_topic.id, saved_topic.version) is saved_topic
    assert saved.check_out(Topic, saved_topic.id, saved_topic.version) is None  # checked out


def test_the_least_recently_saved_go_first_when_full() -> None:
    saved = SavedAggregates(size=2)
    first, second, third = topic(1), topic(2), topic(3)
    for t in (first, second, third):
        saved.check_in(t)
    assert saved.check_out(Topic, first.id, first.version) is None
    assert saved.check_out(Topic, third.id, third.version) is third
    assert saved.check_out(Topic, second.id, second.version) is second


def test_size_zero_keeps_nothing() -> None:
    saved = SavedAggregates(size=0)
    t = topic()
    saved.check_in(t)
    assert saved.check_out(Topic, t.id, t.version) is None
