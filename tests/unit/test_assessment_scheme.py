"""考核评价方案: the scheme file loads into frozen values; its hash follows its content; a known
version with other content, and a malformed file, are refused naming the file, version, key and line."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from services.projection.assessment.facts import period_of
from services.projection.assessment.scheme import (
    SCHEMES_DIR,
    SchemeError,
    SchemeRegistry,
    content_hash,
    load,
    parse,
)

FILE = SCHEMES_DIR / "2026-v1.yaml"
TEXT = FILE.read_text(encoding="utf-8")


def write(folder: Path, text: str, name: str = "2026-v1.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def edited(old: str, new: str) -> str:
    assert TEXT.count(old) == 1, old
    return TEXT.replace(old, new)


def line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


def test_the_2026_scheme_loads_with_its_chinese_labels_points_and_thresholds() -> None:
    scheme = load(FILE)
    assert scheme.version == "2026-v1"
    assert scheme.branch.base == Decimal(0)
    assert scheme.branch.line("not_filed").label == "未立项"
    warning = scheme.branch.line("warning")
    assert (warning.points_for("yellow"), warning.points_for("red"), warning.points_for("green")) == (-1, -2, 0)
    grades = scheme.branch.line("acceptance_grade")
    assert [grades.points_for(g) for g in ("excellent", "good", "pass", "fail")] == [20, 12, 6, 0]
    assert scheme.branch.line("objection_answered").points == Decimal("0.5")
    assert scheme.branch.line("project_approved").deadline_in(2026) == dt.date(2026, 3, 31)
    assert scheme.secretary.line("revision_on_time").within_days == 10
    assert scheme.department.line("accepted_share").grades == ("excellent", "good", "pass")
    assert [(band.stars, band.min) for band in scheme.stars] == [(5, 45), (4, 32), (3, 10), (2, 2), (1, None)]
    assert (scheme.ties, scheme.max_add, scheme.max_deduct) == ("competition", 5, 10)
    with pytest.raises(dataclasses.FrozenInstanceError):
        scheme.version = "other"  # type: ignore[misc]


def test_the_hash_is_stable_ignores_comments_and_layout_and_changes_with_content(tmp_path: Path) -> None:
    scheme = load(FILE)
    assert scheme.content_hash == load(FILE).content_hash == content_hash(yaml.safe_load(TEXT))
    assert len(scheme.content_hash) == 64
    relaid = "# another comment\n" + edited(
        "points_by: {yellow: -1, red: -2}", "points_by:\n        red: -2\n        yellow: -1"
    )
    assert load(write(tmp_path, relaid)).content_hash == scheme.content_hash
    changed = edited("points_by: {yellow: -1, red: -2}", "points_by: {yellow: -1, red: -3}")
    assert load(write(tmp_path, changed)).content_hash != scheme.content_hash


def test_a_known_version_with_different_content_is_refused_naming_the_file_and_version(tmp_path: Path) -> None:
    registry = SchemeRegistry()
    registry.load_folder()
    path = write(tmp_path, edited("max_deduct: 10", "max_deduct: 15"))
    with pytest.raises(SchemeError) as refused:
        registry.load(path)
    assert str(path) in str(refused.value) and "version 2026-v1" in str(refused.value)
    assert registry.get("2026-v1").max_deduct == 10


def test_a_version_recorded_with_published_scores_is_checked_against_the_file() -> None:
    good = load(FILE)
    assert SchemeRegistry(known={"2026-v1": good.content_hash}).load(FILE) == good
    with pytest.raises(SchemeError, match="2026-v1 is already known with different content"):
        SchemeRegistry(known={"2026-v1": "0" * 64}).load(FILE)


def test_the_same_content_again_is_accepted_and_an_unknown_version_lists_the_known_ones(tmp_path: Path) -> None:
    registry = SchemeRegistry()
    registry.load(FILE)
    registry.load(write(tmp_path, "# a copy\n" + TEXT))
    with pytest.raises(LookupError, match="no assessment scheme 2030-v9; known versions: 2026-v1"):
        registry.get("2030-v9")


def test_a_malformed_point_is_refused_naming_the_file_key_and_line(tmp_path: Path) -> None:
    text = edited(
        "      label: 节点逾期(每个)\n      points: -1", "      label: 节点逾期(每个)\n      points: minus one"
    )
    path = write(tmp_path, text)
    with pytest.raises(SchemeError) as refused:
        load(path)
    message = str(refused.value)
    assert message.startswith(f"{path}, line {line_of(text, 'points: minus one')}: ")
    assert "branch.lines[4].points: expected a number, got 'minus one'" in message


@pytest.mark.parametrize(
    ("old", "new", "key", "problem"),
    [
        (
            "    - code: brand\n      label: 打造支部品牌\n      points: 5\n",
            "",
            "branch.lines",
            "missing line(s): brand",
        ),
        ("code: brand", "code: banner", "branch.lines[12].code", "expected one of"),
        ("      within_days: 10", "      within_days: 0", "secretary.lines[1].within_days", "whole number ≥ 1"),
        ('deadline: "02-28"', 'deadline: "02-30"', "department.lines[3].deadline", "month-day"),
        ("points_by: {on_track: 1,", "points_by: {on_time: 1,", "branch.lines[5].points_by.on_time", "unknown key"),
        ("{stars: 4, min: 32}", "{stars: 4, min: 50}", "stars", "must fall strictly"),
        ("ties: competition", "ties: olympic", "ranking.ties", "competition or dense"),
        ("  max_deduct: 10", "  max_deduct: -1", "adjustments.max_deduct", "≥ 0"),
        ("grades: [excellent, good, pass]", "grades: [excellent, great]", "department.lines[2].grades", "a list of"),
    ],
)
def test_a_malformed_file_is_refused_naming_the_key(tmp_path: Path, old: str, new: str, key: str, problem: str) -> None:
    path = write(tmp_path, edited(old, new))
    with pytest.raises(SchemeError) as refused:
        load(path)
    assert str(path) in str(refused.value)
    assert f": {key}: " in str(refused.value) and problem in str(refused.value)


def test_a_file_named_after_another_version_and_broken_yaml_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SchemeError, match=r"2026-v2\.yaml: version: the file 2026-v2\.yaml declares version 2026-v1"):
        load(write(tmp_path, TEXT, "2026-v2.yaml"))
    first = "base: 0\n  lines:\n    - code: project_approved"
    broken = edited(first, first.replace("base: 0", "base: [0"))
    with pytest.raises(SchemeError, match=r"2026-v1\.yaml, line \d+: not valid YAML"):
        load(write(tmp_path, broken))
    with pytest.raises(SchemeError, match="in-memory, line 1: version: missing"):
        parse({"title": "x"}, "in-memory")


def test_a_period_is_the_calendar_year_in_shanghai_of_an_aware_moment() -> None:
    assert period_of(dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC)) == 2027  # 00:30 on 1 January in Shanghai
    assert period_of(dt.datetime(2026, 12, 31, 15, 59, tzinfo=dt.UTC)) == 2026
    assert period_of(dt.datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))) == 2026
    with pytest.raises(ValueError, match="no timezone"):
        period_of(dt.datetime(2026, 6, 1))
