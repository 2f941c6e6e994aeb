"""The base of every request body, and the text and date types bodies are made of (shared.text's rules).

`Strict` refuses unknown fields and checks every string in the body, however deep, against the
rule for long texts; SINGLE_LINE (names, titles, codes, ids) also refuses line breaks and tabs.
A refusal is a 422 that names the field and the character's position.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from shared.text import EARLIEST, LATEST, clean_text, date_problem


def _line(value: str) -> str:
    return clean_text(value, multiline=False)


def _date(value: dt.date) -> dt.date:
    problem = date_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _moment(value: dt.datetime) -> dt.datetime:
    problem = date_problem(value.date())
    if problem is not None:
        raise ValueError(problem)
    return value


# After the length constraints, so that their messages stay pydantic's own:
# Annotated[str, Field(min_length=1, max_length=200), SINGLE_LINE]
SINGLE_LINE = AfterValidator(_line)
ProgrammeDate = Annotated[
    dt.date,
    AfterValidator(_date),
    Field(description=f"a date from {EARLIEST.isoformat()} to {LATEST.isoformat()}", examples=["2026-06-30"]),
]
ProgrammeTime = Annotated[dt.datetime, AfterValidator(_moment)]


def _checked(value: Any, where: str = "") -> Any:
    if isinstance(value, str):
        try:
            return clean_text(value, multiline=True)
        except ValueError as error:
            raise ValueError(f"{where}{error}") from None
    if isinstance(value, list):
        return [_checked(item, f"{where}item {n}: ") for n, item in enumerate(value)]
    if isinstance(value, dict):
        return {_checked(k, f"{where}key: "): _checked(v, f"{where}{k}: ") for k, v in value.items()}
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _printable(cls, value: Any, info: ValidationInfo) -> Any:
        """No control characters, unpaired surrogates or bidi controls in any string of any field."""
        return _checked(value)
