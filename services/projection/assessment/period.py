"""A period's scores: every branch, secretary and department scored, starred and ranked; as plain data.

Pure. `score_period` turns a period's facts into results; `as_data` and `from_data` are the form
kept in a publication and answered by the API (points as exact decimal strings).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.projection.assessment.facts import SUBJECT_TYPES as SUBJECT_TYPES
from services.projection.assessment.fold import Event, PeriodFacts
from services.projection.assessment.scheme import Scheme
from services.projection.assessment.score import (
    Score,
    rank,
    score_branch,
    score_department,
    score_secretary,
    stars,
    two_places,
)

SUBJECT_LABELS = {"branch": "党支部", "secretary": "支部书记", "department": "部门(机关党组织)"}


@dataclass(frozen=True)
class Result:
    """One subject's score with its name, stars (branches only) and ranks."""

    score: Score
    name: str
    stars: int | None
    city_rank: int
    department_rank: int
    branch: str | None = None  # a secretary's branch


@dataclass(frozen=True)
class PeriodScores:
    period: int
    scheme_version: str
    scheme_hash: str
    as_of: dt.date
    results: Mapping[str, tuple[Result, ...]]  # by subject type, in rank order
    events: Mapping[str, Event]


def score_period(scheme: Scheme, facts: PeriodFacts, as_of: dt.date | None = None) -> PeriodScores:
    """Every subject of the period scored by `scheme`, taken at `as_of` (default: the period's end)."""
    branch_scores = {(f.department, f.branch_id): (f, score_branch(scheme, f, as_of)) for f in facts.branches}
    secretaries = [
        (score_secretary(scheme, f, branch_scores[(f.department, f.branch_id)][1], as_of), name, f.branch_id)
        for f, name in facts.secretaries
    ]
    by_department: dict[str, list[Any]] = {}
    for pair in branch_scores.values():
        by_department.setdefault(pair[0].department, []).append(pair)
    departments = [score_department(scheme, f, by_department.get(f.department, []), as_of) for f in facts.departments]
    names = facts.names

    def ranked(kind: str, scores: list[Score]) -> tuple[Result, ...]:
        by_key = {s.key: s for s in scores}
        return tuple(
            Result(
                by_key[r.key],
                names.get((kind, r.department, r.subject_id), ""),
                stars(scheme, by_key[r.key]) if kind == "branch" else None,
                r.city,
                r.in_department,
                r.unit or None,
            )
            for r in rank(scheme, scores)
        )

    results = {
        "branch": ranked("branch", [s for _, s in branch_scores.values()]),
        "secretary": ranked("secretary", [s for s, _, _ in secretaries]),
        "department": ranked("department", departments),
    }
    last_day = dt.date(facts.period, 12, 31)
    return PeriodScores(
        facts.period,
        scheme.version,
        scheme.content_hash,
        min(as_of or last_day, last_day),
        results,
        facts.events,
    )


def points(value: Decimal) -> str:
    """Points as served and frozen: exact, with two decimals ("48.50", "-3.00")."""
    return str(two_places(value))


# Lines made of other subjects' scores cite those subjects, not again every event behind them.
DERIVED = {"branch_result": "branch", "branch_mean": "branch"}


def result_data(kind: str, result: Result, members: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    """One result as plain data; `members`: each department's branches (for its branch_mean line)."""
    s = result.score
    own = [result.branch] if result.branch else []
    cited = own if kind == "secretary" else (members or {}).get(s.subject_id, [])
    return {
        "subject_type": kind,
        "subject_id": s.subject_id,
        "name": result.name,
        "department": s.department,
        "branch": result.branch if kind == "secretary" else (s.subject_id if kind == "branch" else None),
        "period": s.period,
        "base": points(s.base),
        "total": points(s.total),
        "stars": result.stars,
        "city_rank": result.city_rank,
        "department_rank": result.department_rank,
        "flags": list(s.flags),
        "scheme_version": s.scheme_version,
        "scheme_hash": s.scheme_hash,
        "lines": [
            {
                "code": line.code,
                "label": line.label,
                "count": line.count,
                "points": points(line.points),
                "event_ids": [] if line.code in DERIVED else list(line.event_ids),
                "subjects": [{"subject_type": DERIVED[line.code], "subject_id": c} for c in cited]
                if line.code in DERIVED
                else [],
            }
            for line in s.lines
        ],
    }


def as_data(scores: PeriodScores) -> dict[str, list[dict[str, Any]]]:
    """Every result as plain data, in rank order: the form a publication freezes."""
    members: dict[str, list[str]] = {}
    for result in scores.results["branch"]:
        members.setdefault(result.score.department, []).append(result.score.subject_id)
    return {
        kind: [result_data(kind, result, members) for result in results] for kind, results in scores.results.items()
    }
