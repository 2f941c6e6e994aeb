"""Where a page of the notification log stops being safe to hand out (pure bookkeeping)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shared.persistence.asyncpg_store.horizon import Horizon


def test_a_contiguous_page_from_the_settled_mark_has_no_gap_and_extends_the_mark() -> None:
    horizon = Horizon()
    assert horizon.first_gap(0, [1, 2, 3]) is None
    horizon.read(0, [1, 2, 3])
    assert horizon.settled == 3


def test_a_missing_id_above_the_mark_stops_the_page_before_the_id_after_it() -> None:
    horizon = Horizon()
    horizon.advance(3)
    assert horizon.first_gap(3, [4, 6, 7]) == 1
    assert horizon.first_gap(3, [5, 6]) == 0  # the very first id is missing


def test_gaps_at_or_below_the_mark_are_settled() -> None:
    horizon = Horizon()
    horizon.advance(10)
    assert horizon.first_gap(0, [1, 4, 9, 11, 12]) is None
    assert horizon.first_gap(0, [1, 4, 9, 12]) == 3


def test_a_page_starting_above_the_mark_is_checked_from_its_start_but_does_not_move_the_mark() -> None:
    horizon = Horizon()
    horizon.advance(2)
    assert horizon.first_gap(5, [6, 7]) is None
    horizon.read(5, [6, 7])
    assert horizon.settled == 2  # 3..5 were never looked at
    assert horizon.first_gap(5, [7]) == 0


def test_the_mark_never_moves_down() -> None:
    horizon = Horizon()
    horizon.advance(9)
    horizon.advance(4)
    assert horizon.settled == 9


@given(
    committed=st.sets(st.integers(1, 60)),
    settled=st.integers(0, 60),
    after=st.integers(0, 60),
)
def test_the_safe_prefix_is_exactly_the_ids_before_the_first_unsettled_missing_id(
    committed: set[int], settled: int, after: int
) -> None:
    horizon = Horizon()
    horizon.advance(settled)
    ids = sorted(i for i in committed if i > after)
    gap = horizon.first_gap(after, ids)
    safe = ids if gap is None else ids[:gap]
    # Nothing handed out lies beyond an id that is missing and not yet settled...
    missing = [i for i in range(max(after, settled) + 1, (safe[-1] if safe else 0) + 1) if i not in committed]
    assert missing == []
    # ...and the page is cut only where such an id is missing.
    if gap is not None:
        assert ids[gap] - 1 > max(after, settled)
        assert ids[gap] - 1 not in committed


def test_the_part_of_a_page_before_its_gap_extends_the_mark() -> None:
    horizon = Horizon()
    ids = [1, 2, 4]
    gap = horizon.first_gap(0, ids)
    horizon.read(0, ids[:gap])
    assert horizon.settled == 2
    assert horizon.first_gap(2, [4]) == 0  # 3 is still unsettled
