"""The one rule for text and dates people give (shared.text), and the domain's use of it."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain import checked_date, text
from shared.errors import InvalidInput
from shared.text import clean_text, text_problem

FORBIDDEN = [chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0))]
FORBIDDEN += ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\ud800"]
printable = st.text(
    st.characters(
        blacklist_categories=("Cc", "Cs"), blacklist_characters="\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    )
)


@given(printable)
def test_printable_text_passes_as_it_is(value: str) -> None:
    assert clean_text(value, multiline=False) == value
    assert clean_text(value, multiline=True) == value


@given(printable, st.sampled_from(FORBIDDEN), printable)
def test_a_forbidden_character_is_refused_with_its_code_and_position(before: str, bad: str, after: str) -> None:
    problem = text_problem(before + bad + after, multiline=True)
    assert problem is not None
    assert f"U+{ord(bad):04X}" in problem
    assert f"at position {len(before)}" in problem


def test_line_breaks_and_tabs_belong_only_in_long_texts() -> None:
    assert clean_text("一\n二\t三", multiline=True) == "一\n二\t三"
    assert clean_text("一\r\n二", multiline=True) == "一\n二"
    with pytest.raises(ValueError, match=r"line break or tab \(U\+000A\) at position 1; it must be a single line"):
        clean_text("一\n二", multiline=False)
    with pytest.raises(ValueError, match=r"U\+000D"):
        clean_text("一\r二", multiline=True)


def test_the_domain_refuses_a_nul_naming_the_field() -> None:
    with pytest.raises(InvalidInput, match="title contains the control character U\\+0000 at position 1"):
        text("a\x00b", "title", 200)
    with pytest.raises(InvalidInput, match="name contains the bidirectional control U\\+202E"):
        text("王\u202e强", "name", 100)
    assert text("一、\r\n二、", "goal", 5000) == "一、\n二、"


@pytest.mark.parametrize("value", ["9999-12-31", "1999-12-31", dt.date(2101, 1, 1)])
def test_the_domain_refuses_dates_outside_the_programme(value: object) -> None:
    with pytest.raises(InvalidInput, match="is outside 2000-01-01 to 2100-12-31"):
        checked_date(value, "due")
    assert checked_date("2100-12-31", "due") == dt.date(2100, 12, 31)
