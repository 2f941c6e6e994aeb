"""考核评价方案: a versioned scheme file, checked and loaded into frozen dataclasses.

A malformed file is refused with its name, the offending key and its line. Every scheme carries
the SHA-256 of its canonical content (comments and layout do not count); the registry refuses a
file whose version it already knows with different content.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from services.projection.assessment.spec import LINES, RULES, SUBJECTS, Kind

SCHEMES_DIR = Path(__file__).resolve().parents[3] / "deploy" / "assessment"
Path_ = tuple[str | int, ...]


class SchemeError(ValueError):
    """A scheme file that cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Line:
    code: str
    label: str
    points: Decimal = Decimal(0)
    points_by: tuple[tuple[str, Decimal], ...] = ()
    deadline: tuple[int, int] | None = None  # (month, day) within the period's year
    within_days: int | None = None
    share: Decimal | None = None
    grades: tuple[str, ...] = ()

    def points_for(self, key: str) -> Decimal:
        return dict(self.points_by).get(key, Decimal(0))

    def deadline_in(self, year: int) -> dt.date:
        assert self.deadline is not None, f"line {self.code} has no deadline"
        return dt.date(year, *self.deadline)


@dataclass(frozen=True)
class Section:
    base: Decimal
    lines: tuple[Line, ...]

    def line(self, code: str) -> Line:
        return next(line for line in self.lines if line.code == code)


@dataclass(frozen=True)
class StarThreshold:
    stars: int
    min: Decimal | None  # None: the lowest band, every total below the others


@dataclass(frozen=True)
class Scheme:
    version: str
    title: str
    branch: Section
    secretary: Section
    department: Section
    stars: tuple[StarThreshold, ...]  # highest first
    ties: str  # "competition" (1, 2, 2, 4) or "dense" (1, 2, 2, 3)
    tie_label: str
    adjustment_label: str
    max_add: Decimal
    max_deduct: Decimal
    content_hash: str
    source: str  # the file it was read from


def content_hash(raw: Any) -> str:
    """SHA-256 of the content as canonical JSON: keys sorted, no layout, no comments."""
    canonical = json.dumps(raw, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _key_lines(node: yaml.Node, path: Path_ = ()) -> dict[Path_, int]:
    found = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            found.update(_key_lines(value, (*path, key.value)))
            found[(*path, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            found.update(_key_lines(value, (*path, index)))
    return found


class _Reader:
    """Reads values off the raw mapping; any problem is a SchemeError with file, key and line."""

    def __init__(self, source: str, raw: Any, lines: dict[Path_, int]) -> None:
        self.source, self.raw, self.lines = source, raw, lines

    def fail(self, path: Path_, problem: str) -> SchemeError:
        known = path
        while known and known not in self.lines:
            known = known[:-1]
        key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".") or "(top)"
        return SchemeError(f"{self.source}, line {self.lines.get(known, 1)}: {key}: {problem}")

    def get(self, path: Path_, optional: bool = False) -> Any:
        value = self.raw
        for depth, part in enumerate(path):
            missing = isinstance(part, str) and (not isinstance(value, dict) or part not in value)
            if missing:
                if optional and depth == len(path) - 1:
                    return None
                raise self.fail(path, "missing")
            value = value[part]
        return value

    def mapping(self, path: Path_, keys: Iterable[str]) -> dict[str, Any]:
        value = self.get(path)
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a mapping, got {value!r}")
        unknown = sorted(set(value) - set(keys), key=str)
        if unknown:
            raise self.fail((*path, unknown[0]), f"unknown key; expected one of: {', '.join(keys)}")
        return value

    def text(self, path: Path_) -> str:
        value = self.get(path)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, f"expected text, got {value!r}")
        return value

    def number(self, path: Path_, optional: bool = False) -> Decimal | None:
        value = self.get(path, optional)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(path, f"expected a number, got {value!r}")
        try:
            number = Decimal(str(value))
        except InvalidOperation as error:  # pragma: no cover - YAML numbers always convert
            raise self.fail(path, f"expected a number, got {value!r}") from error
        if not number.is_finite():
            raise self.fail(path, f"expected a finite number, got {value!r}")
        return number

    def whole(self, path: Path_, low: int) -> int:
        value = self.get(path)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise self.fail(path, f"expected a whole number ≥ {low}, got {value!r}")
        return value

    def deadline(self, path: Path_) -> tuple[int, int]:
        value = self.get(path)
        try:
            month, day = (int(part) for part in str(value).split("-"))
            dt.date(2001, month, day)  # a year without 29 February: the deadline exists every year
        except ValueError as error:
            raise self.fail(path, f'expected a month-day such as "03-31", got {value!r}') from error
        return month, day

    def codes(self, path: Path_, vocabulary: type[StrEnum]) -> tuple[str, ...]:
        value = self.get(path)
        allowed = [member.value for member in vocabulary]
        if not isinstance(value, list) or not value or any(v not in allowed for v in value):
            raise self.fail(path, f"expected a list of {', '.join(allowed)}, got {value!r}")
        return tuple(value)

    def line(self, path: Path_, rules: Mapping[str, Kind]) -> Line:
        code = self.get((*path, "code"))
        fields = {"code", "label", *rules}
        self.mapping(path, sorted(fields))
        for name in rules:
            self.get((*path, name))
        kw: dict[str, Any] = {"code": code, "label": self.text((*path, "label"))}
        for name, kind in rules.items():
            at = (*path, name)
            if kind == "number":
                kw[name] = self.number(at)
            elif kind == "deadline":
                kw[name] = self.deadline(at)
            elif kind == "days":
                kw[name] = self.whole(at, 1)
            elif isinstance(kind, tuple):
                kw[name] = self.codes(at, kind[0])
            else:
                by = self.mapping(at, [member.value for member in kind])
                kw[name] = tuple((k, self.number((*at, k))) for k in sorted(by))  # type: ignore[misc]
        return Line(**kw)

    def section(self, subject: str) -> Section:
        self.mapping((subject,), ["base", "lines"])
        entries = self.get((subject, "lines"))
        if not isinstance(entries, list):
            raise self.fail((subject, "lines"), "expected a list of lines")
        wanted, seen = LINES[subject], []
        for index, entry in enumerate(entries):
            code = entry.get("code") if isinstance(entry, dict) else None
            if code not in wanted:
                raise self.fail((subject, "lines", index, "code"), f"expected one of: {', '.join(wanted)}")
            if code in seen:
                raise self.fail((subject, "lines", index, "code"), f"line {code} is given twice")
            seen.append(code)
        absent = [code for code in wanted if code not in seen]
        if absent:
            raise self.fail((subject, "lines"), f"missing line(s): {', '.join(absent)}")
        lines = tuple(self.line((subject, "lines", i), RULES[e["code"]]) for i, e in enumerate(entries))
        base = self.number((subject, "base"))
        assert base is not None
        return Section(base=base, lines=lines)

    def stars(self) -> tuple[StarThreshold, ...]:
        entries = self.get(("stars",))
        bands = [e.get("stars") if isinstance(e, dict) else None for e in entries] if isinstance(entries, list) else []
        if bands != [5, 4, 3, 2, 1]:
            raise self.fail(("stars",), "expected five bands, stars 5 down to 1")
        for index in range(5):
            self.mapping(("stars", index), ["stars", "min"])
        mins = [self.number(("stars", index, "min")) for index in range(4)]
        if mins != sorted(mins, reverse=True) or len(set(mins)) != 4:  # type: ignore[type-var]
            raise self.fail(("stars",), "the minimums of stars 5 to 2 must fall strictly")
        if self.get(("stars", 4, "min"), optional=True) is not None:
            raise self.fail(("stars", 4, "min"), "the one-star band has no minimum")
        return (*(StarThreshold(5 - i, m) for i, m in enumerate(mins)), StarThreshold(1, None))


def parse(raw: Any, source: str) -> Scheme:
    """A scheme from a file's YAML contents; `source` names the file in every error."""
    try:
        node = yaml.compose(raw) if isinstance(raw, str) else None
        data = yaml.safe_load(raw) if isinstance(raw, str) else raw
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise SchemeError(f"{source}{where}: not valid YAML: {getattr(error, 'problem', error)}") from error
    reader = _Reader(source, data, _key_lines(node) if node is not None else {})
    reader.mapping((), ["version", "title", *SUBJECTS, "stars", "ranking", "adjustments"])
    version, title = reader.text(("version",)), reader.text(("title",))
    reader.mapping(("ranking",), ["ties", "label"])
    ties = reader.text(("ranking", "ties"))
    if ties not in ("competition", "dense"):
        raise reader.fail(("ranking", "ties"), f"expected competition or dense, got {ties!r}")
    reader.mapping(("adjustments",), ["label", "max_add", "max_deduct"])
    max_add, max_deduct = reader.number(("adjustments", "max_add")), reader.number(("adjustments", "max_deduct"))
    for name, limit in (("max_add", max_add), ("max_deduct", max_deduct)):
        if limit is None or limit < 0:
            raise reader.fail(("adjustments", name), f"expected a number ≥ 0, got {limit}")
    assert max_add is not None and max_deduct is not None
    return Scheme(
        version=version,
        title=title,
        branch=reader.section("branch"),
        secretary=reader.section("secretary"),
        department=reader.section("department"),
        stars=reader.stars(),
        ties=ties,
        tie_label=reader.text(("ranking", "label")),
        adjustment_label=reader.text(("adjustments", "label")),
        max_add=max_add,
        max_deduct=max_deduct,
        content_hash=content_hash(data),
        source=source,
    )


def load(path: Path) -> Scheme:
    """Read and check one scheme file; its name must be its version (`2026-v1.yaml`)."""
    scheme = parse(path.read_text(encoding="utf-8"), str(path))
    if scheme.version != path.stem:
        raise SchemeError(f"{path}: version: the file {path.name} declares version {scheme.version}")
    return scheme


class SchemeRegistry:
    """The scheme versions in use, each with one content; `known` are hashes recorded earlier
    (with published scores), against which a file of the same version is checked."""

    def __init__(self, known: Mapping[str, str] | None = None) -> None:
        self.hashes: dict[str, str] = dict(known or {})
        self.schemes: dict[str, Scheme] = {}

    def add(self, scheme: Scheme) -> Scheme:
        recorded = self.hashes.get(scheme.version)
        if recorded is not None and recorded != scheme.content_hash:
            raise SchemeError(
                f"{scheme.source}: version {scheme.version} is already known with different content "
                f"(sha256 {recorded[:12]}…, this file {scheme.content_hash[:12]}…); "
                "a changed scheme is a new file with a new version"
            )
        self.hashes[scheme.version] = scheme.content_hash
        self.schemes[scheme.version] = scheme
        return scheme

    def load(self, path: Path) -> Scheme:
        return self.add(load(path))

    def load_folder(self, folder: Path = SCHEMES_DIR) -> tuple[Scheme, ...]:
        return tuple(self.load(path) for path in sorted(folder.glob("*.yaml")))

    def get(self, version: str) -> Scheme:
        if version not in self.schemes:
            raise LookupError(f"no assessment scheme {version}; known versions: {', '.join(self.schemes) or 'none'}")
        return self.schemes[version]
