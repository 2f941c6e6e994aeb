"""What text and dates every service accepts from people: one rule, so that all refuse alike.

Refused everywhere: control characters (C0, DEL, C1; PostgreSQL cannot even store NUL),
unpaired surrogates (not text at all), and bidirectional controls (U+202A–U+202E,
U+2066–U+2069), which can make a name or title display as something else. Long texts
(descriptions, goals, findings, feedback) may hold line breaks and tabs; a Windows line break
(CR LF) is taken as a line break. Names, titles, codes and ids are one line.
"""

from __future__ import annotations

import datetime as dt
import re

# Every date a person gives is within the programme's possible life: far-off dates are typos
# or probes, and arithmetic on them overflows (9999-12-31 plus a day).
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)
LONGEST_LINE = 400  # longer texts are long texts (line breaks allowed)

_BIDI = "\u202a-\u202e\u2066-\u2069"
_NEVER = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}\ud800-\udfff]")
_NOT_IN_A_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}\ud800-\udfff]")


def text_problem(value: str, *, multiline: bool) -> str | None:
    """What is wrong with the text (None if nothing): names the character and its position."""
    found = (_NEVER if multiline else _NOT_IN_A_LINE).search(value)
    if found is None:
        return None
    char, at = found.group(), found.start()
    code = f"U+{ord(char):04X}"
    if char in "\n\r\t":
        return f"contains a line break or tab ({code}) at position {at}; it must be a single line"
    if "\ud800" <= char <= "\udfff":
        return f"contains an unpaired surrogate ({code}) at position {at}; send valid Unicode text"
    if "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
        return f"contains the bidirectional control {code} at position {at}, which can disguise text; remove it"
    return f"contains the control character {code} at position {at}; only printable text is accepted"


def clean_text(value: str, *, multiline: bool) -> str:
    """The text with CR LF taken as LF; raises ValueError naming what is wrong."""
    if multiline and "\r" in value:
        value = value.replace("\r\n", "\n")
    problem = text_problem(value, multiline=multiline)
    if problem is not None:
        raise ValueError(problem)
    return value


def date_problem(value: dt.date) -> str | None:
    if EARLIEST <= value <= LATEST:
        return None
    return f"{value.isoformat()} is outside {EARLIEST.isoformat()} to {LATEST.isoformat()}"
