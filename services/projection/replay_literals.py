"""Arguments written as the text PostgreSQL reads for a parameter's type: for the few Python types
where that text and what asyncpg sends in binary are plainly the same value (str, int, bool, float,
date, aware datetime, UUID, lists of them). Anything else is Unwritable, and asyncpg sends it."""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from collections.abc import Callable
from typing import Any, NoReturn

Render = Callable[[Any], str]
_UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class Unwritable(Exception):
    """This argument is not written as text here (asyncpg may take it, or refuse it: let it say)."""


def _cannot(value: Any) -> NoReturn:
    raise Unwritable


def _quoted(text: str) -> str:
    if "\x00" in text:
        raise Unwritable  # asyncpg sends it (and PostgreSQL refuses it); a query text cannot hold it
    return "'" + text.replace("'", "''") + "'"


def _text(value: Any) -> str:
    if type(value) is not str:
        raise Unwritable
    return _quoted(value)


def _integer(value: Any) -> str:
    if type(value) is not int and type(value) is not bool:
        raise Unwritable
    return f"'{int(value)}'"


def _double(value: Any) -> str:
    if type(value) is float:
        if math.isnan(value):
            return "'NaN'"
        if math.isinf(value):
            return "'Infinity'" if value > 0 else "'-Infinity'"
        return f"'{value!r}'"
    if type(value) is int and abs(value) < 2**53:
        return f"'{float(value)!r}'"
    raise Unwritable


def _boolean(value: Any) -> str:
    if type(value) is not bool:
        raise Unwritable
    return "'true'" if value else "'false'"


def _uuid(value: Any) -> str:
    if type(value) is uuid.UUID:
        return f"'{value}'"
    if type(value) is str and _UUID_TEXT.fullmatch(value):
        return f"'{value}'"
    raise Unwritable


def _date(value: Any) -> str:
    if type(value) is not dt.date:
        raise Unwritable
    return f"'{value.isoformat()}'"


def _timestamptz(value: Any) -> str:
    if type(value) is not dt.datetime or value.tzinfo is None:
        raise Unwritable  # a naive one asyncpg reads in the process's own time zone
    offset = value.utcoffset()
    if offset is None or offset.seconds % 60 or offset.microseconds or value.year in (1, 9999):
        raise Unwritable
    return f"'{value.isoformat()}'"


def _timestamp(value: Any) -> str:
    if type(value) is not dt.datetime or value.tzinfo is not None or value.year in (1, 9999):
        raise Unwritable
    return f"'{value.isoformat()}'"


_SCALARS: dict[str, Render] = {
    "text": _text,
    "character varying": _text,
    "json": _text,  # asyncpg takes json as text
    "jsonb": _text,
    "smallint": _integer,
    "integer": _integer,
    "bigint": _integer,
    "numeric": _integer,
    "double precision": _double,
    "boolean": _boolean,
    "uuid": _uuid,
    "date": _date,
    "timestamp with time zone": _timestamptz,
    "timestamp without time zone": _timestamp,
}


def _array(element: Render) -> Render:
    def render(value: Any) -> str:
        if type(value) is not list and type(value) is not tuple:
            raise Unwritable
        items = []
        for item in value:
            if item is None:
                items.append("NULL")
                continue
            if type(item) is list or type(item) is tuple:
                raise Unwritable
            text = element(item)[1:-1].replace("''", "'")  # the element's own text, unquoted
            items.append('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
        return _quoted("{" + ",".join(items) + "}")

    return render


def renderer(type_name: str) -> Render:
    """How an argument for a parameter of this type is written (Unwritable, for any other type)."""
    if type_name.endswith("[]") and type_name[:-2] in _SCALARS:
        return _array(_SCALARS[type_name[:-2]])
    return _SCALARS.get(type_name, _cannot)
