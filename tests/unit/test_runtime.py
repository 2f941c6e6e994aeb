"""Heap settling of service processes: frozen start-up objects, rarer young collections."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from shared.runtime import SETTLE_HEAP, YOUNG_THRESHOLD, settle_heap, settle_heap_if_serving


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_gc")
def test_settling_freezes_what_start_up_built_and_collects_young_objects_less_often() -> None:
    gc.unfreeze()
    start_up = [{"built": n} for n in range(100)]
    settle_heap()
    assert gc.get_freeze_count() >= len(start_up)
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD


@pytest.mark.usefixtures("restored_gc")
def test_outside_a_service_process_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    gc.unfreeze()
    monkeypatch.delenv(SETTLE_HEAP, raising=False)
    before = gc.get_threshold()
    settle_heap_if_serving()
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
    monkeypatch.setenv(SETTLE_HEAP, "1")
    settle_heap_if_serving()
    assert gc.get_freeze_count() > 0
