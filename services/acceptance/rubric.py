"""评分细则: the acceptance rubric — criteria, weights and grade thresholds — from versioned files.

A rubric is a YAML file `<version>.yaml` in the rubrics folder (deploy/rubrics). Arithmetic is
exact (decimals, rounded half up to two places): the grade follows the published score.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml

from services.acceptance.vocabulary import Grade
from shared.domain import check
from shared.errors import NotFound

RUBRICS_DIR = Path(__file__).resolve().parents[2] / "deploy" / "rubrics"
_CENT = Decimal("0.01")


def two_places(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Criterion:
    code: str
    label: str
    weight: int


@dataclass(frozen=True)
class Threshold:
    grade: str
    label: str
    min: Decimal


@dataclass(frozen=True)
class Rubric:
    version: str
    title: str
    criteria: tuple[Criterion, ...]
    grades: tuple[Threshold, ...]  # highest first; the last starts at the scale's minimum
    scale_min: int = 0
    scale_max: int = 100

    def weighted(self, scores: dict[str, int]) -> Decimal:
        """One panelist's weighted score; every criterion scored, nothing else."""
        codes = [c.code for c in self.criteria]
        missing = [f"{c.code} ({c.label})" for c in self.criteria if c.code not in scores]
        check(not missing, f"score every criterion of rubric {self.version}; missing: {', '.join(missing)}")
        unknown = sorted(set(scores) - set(codes))
        check(
            not unknown,
            f"rubric {self.version} has no criterion {', '.join(unknown)}; its criteria are: {', '.join(codes)}",
        )
        for code, value in scores.items():
            check(
                isinstance(value, int) and self.scale_min <= value <= self.scale_max,
                f"{code}: a score is a whole number {self.scale_min}–{self.scale_max}, not {value!r}",
            )
        total = sum(c.weight * scores[c.code] for c in self.criteria)
        return two_places(Decimal(total) / Decimal(sum(c.weight for c in self.criteria)))

    def mean(self, weighted: list[Decimal]) -> Decimal:
        return two_places(sum(weighted, Decimal(0)) / Decimal(len(weighted)))

    def grade(self, score: Decimal) -> Threshold:
        for threshold in self.grades:
            if score >= threshold.min:
                return threshold
        return self.grades[-1]

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "title": self.title,
            "scale": {"min": self.scale_min, "max": self.scale_max},
            "criteria": [{"code": c.code, "label": c.label, "weight": c.weight} for c in self.criteria],
            "grades": [{"code": t.grade, "label": t.label, "min": float(t.min)} for t in self.grades],
        }


def parse(raw: dict[str, Any], version: str | None = None) -> Rubric:
    """A rubric from its YAML contents, checked for what the arithmetic relies on."""
    scale = raw.get("scale") or {}
    rubric = Rubric(
        version=str(raw["version"]),
        title=str(raw.get("title", "")),
        criteria=tuple(Criterion(str(c["code"]), str(c["label"]), int(c["weight"])) for c in raw["criteria"]),
        grades=tuple(
            Threshold(Grade(str(g["code"])).value, str(g["label"]), Decimal(str(g["min"]))) for g in raw["grades"]
        ),
        scale_min=int(scale.get("min", 0)),
        scale_max=int(scale.get("max", 100)),
    )
    if version is not None and rubric.version != version:
        raise ValueError(f"rubric file {version}.yaml declares version {rubric.version}")
    if not rubric.criteria or any(c.weight <= 0 for c in rubric.criteria):
        raise ValueError(f"rubric {rubric.version}: criteria need positive weights")
    if len({c.code for c in rubric.criteria}) != len(rubric.criteria):
        raise ValueError(f"rubric {rubric.version}: a criterion code is used twice")
    mins = [t.min for t in rubric.grades]
    if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins) or mins[-1] > rubric.scale_min:
        raise ValueError(f"rubric {rubric.version}: grade thresholds must fall strictly, down to the scale's minimum")
    return rubric


class Rubrics:
    """Every rubric version in a folder, and which one new panels use."""

    def __init__(self, folder: Path = RUBRICS_DIR, current: str = "2026-v1") -> None:
        self.folder = folder
        self.versions = {
            path.stem: parse(yaml.safe_load(path.read_text(encoding="utf-8")), path.stem)
            for path in sorted(folder.glob("*.yaml"))
        }
        if current not in self.versions:
            raise ValueError(f"no rubric {current} in {folder}; there are: {', '.join(self.versions) or 'none'}")
        self.current = current

    def get(self, version: str) -> Rubric:
        if version not in self.versions:
            raise NotFound(f"no rubric version {version}; published versions: {', '.join(self.versions)}")
        return self.versions[version]
