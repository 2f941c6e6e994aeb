"""A city's programme year as the envelopes the projection consumes, written by hand, for the
assessment's tests and its benchmark.

Payloads are those the services publish (see each service's domain.py); times are programme
times in 2026 (Asia/Shanghai), carried as `at` the way the services stamp them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from shared.contracts import Envelope, event_id

TZ = ZoneInfo("Asia/Shanghai")
ADMIN = {"id": "admin", "role": "admin"}
INSPECTOR = {"id": "i-007", "role": "inspector"}
ORGANISER = {"id": "org-1", "role": "panelist"}
PUBLIC = {"id": "public", "role": "public"}


def at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=TZ)


def plan(*dues: str) -> list[dict[str, str]]:
    return [
        {"id": f"m{n}", "title": f"节点{n}", "due": due, "deliverable": f"成果{n}"} for n, due in enumerate(dues, 1)
    ]


@dataclass
class Project:
    id: str
    department: str
    branch: str
    secretary: dict[str, str]
    committee: dict[str, str]
    milestones: list[dict[str, str]]
    versions: dict[str, int] = field(default_factory=dict)

    def next(self, aggregate: str) -> int:
        self.versions[aggregate] = self.versions.get(aggregate, 0) + 1
        return self.versions[aggregate]


class City:
    """Envelopes in the order the services would publish them (each aggregate's own in order)."""

    def __init__(self, year: int = 2026) -> None:
        self.year = year
        self.envelopes: list[Envelope] = []
        self._positions = itertools.count(1)
        self._departments: dict[str, int] = {}

    def _emit(
        self,
        service: str,
        aggregate_type: str,
        name: str,
        aggregate_id: str,
        version: int,
        payload: dict[str, Any],
        actor: dict[str, str],
        department: str,
        branch: str | None,
        when: dt.datetime | None = None,
    ) -> Envelope:
        envelope = Envelope(
            event_id=event_id(aggregate_id, version),
            type=f"{service}.{aggregate_type}.{name}",
            aggregate_id=aggregate_id,
            aggregate_type=aggregate_type,
            aggregate_version=version,
            department=department,
            branch=branch,
            actor=actor,
            request_id=None,
            occurred_at=(when or dt.datetime.now(dt.UTC)).isoformat(),
            source={"service": service, "instance": "main", "position": next(self._positions)},
            payload=payload,
        )
        self.envelopes.append(envelope)
        return envelope

    # -- the registry -----------------------------------------------------------------------------
    def department(self, code: str, name: str, branches: list[tuple[str, str, str, str]]) -> None:
        """A department and its branches: (code, name, secretary id, secretary name)."""
        aggregate = str(uuid.uuid5(uuid.NAMESPACE_URL, f"department:{code}"))
        self._emit("filing", "Department", "Registered", aggregate, 1, {"code": code, "name": name}, ADMIN, code, None)
        for n, (branch, branch_name, secretary, secretary_name) in enumerate(branches, start=2):
            payload = {"code": branch, "name": branch_name, "secretary_id": secretary, "secretary_name": secretary_name}
            self._emit("filing", "Department", "BranchRegistered", aggregate, n, payload, ADMIN, code, None)

    # -- filing -----------------------------------------------------------------------------------
    def topic(self, department: str, posed: dt.datetime, title: str = "优化营商环境") -> Envelope:
        payload = {
            "year": self.year,
            "direction": "business_environment",
            "title": title,
            "description": "",
            "at": posed.isoformat(),
        }
        actor = {"id": f"c-{department}", "role": "committee", "department": department}
        return self._emit("filing", "Topic", "Posed", str(uuid.uuid4()), 1, payload, actor, department, None, posed)

    def project(
        self, department: str, branch: str, secretary: str, topic: Envelope, milestones: list[dict[str, str]]
    ) -> Project:
        p = Project(
            str(uuid.uuid4()),
            department,
            branch,
            {"id": secretary, "role": "secretary", "department": department, "branch": branch},
            {"id": f"c-{department}", "role": "committee", "department": department},
            milestones,
        )
        payload = {
            "topic_id": topic.aggregate_id,
            "year": self.year,
            "direction": "business_environment",
            "title": f"{branch}的项目",
            "goal": "目标",
            "targets": ["指标一"],
            "milestones": milestones,
            "responsible": {"id": secretary, "name": "负责人"},
        }
        self._filing(p, "Drafted", payload, p.secretary)
        return p

    def _filing(self, p: Project, name: str, payload: dict[str, Any], actor: dict[str, str]) -> Envelope:
        when = dt.datetime.fromisoformat(payload["at"]) if "at" in payload else None
        return self._emit(
            "filing", "Project", name, p.id, p.next("filing"), payload, actor, p.department, p.branch, when
        )

    def submitted(self, p: Project, when: dt.datetime) -> Envelope:
        return self._filing(p, "Submitted", {"at": when.isoformat()}, p.secretary)

    def returned(self, p: Project, when: dt.datetime) -> Envelope:
        return self._filing(p, "Returned", {"reasons": ["目标不够具体"], "at": when.isoformat()}, p.committee)

    def approved(self, p: Project, when: dt.datetime) -> Envelope:
        payload = {
            "record_no": f"{p.department}-{self.year}-{p.id[:8]}",
            "title": f"{p.branch}的项目",
            "milestones": p.milestones,
            "at": when.isoformat(),
        }
        return self._filing(p, "Approved", payload, p.committee)

    # -- tasking ----------------------------------------------------------------------------------
    def milestone_met(self, p: Project, milestone: str, met_on: str) -> Envelope:
        board = str(uuid.uuid5(uuid.UUID(p.id), "board"))
        payload = {"project_id": p.id, "milestone_id": milestone, "met_on": met_on, "deliverable": {"title": "成果"}}
        return self._emit("tasking", "TaskBoard", "MilestoneMet", board, p.next("tasking"), payload, p.secretary,
                          p.department, p.branch, at(met_on, 18))  # fmt: skip

    # -- inspection -------------------------------------------------------------------------------
    def _inspection(self, p: Project, name: str, payload: dict[str, Any], actor: dict[str, str]) -> Envelope:
        supervision = str(uuid.uuid5(uuid.UUID(p.id), "supervision"))
        when = dt.datetime.fromisoformat(payload["at"])
        return self._emit("inspection", "Supervision", name, supervision, p.next("inspection"),
                          {"project_id": p.id, **payload}, actor, p.department, p.branch, when)  # fmt: skip

    def scheduled(self, p: Project, when: dt.datetime) -> Envelope:
        payload = {"record_no": "r", "title": "t", "milestones": p.milestones, "at": when.isoformat()}
        return self._inspection(p, "Scheduled", payload, p.committee)

    def colour(self, p: Project, colour: str, previous: str, when: dt.datetime) -> Envelope:
        payload = {"colour": colour, "previous": previous, "reasons": [f"{colour}"], "at": when.isoformat()}
        return self._inspection(p, "ColourChanged", payload, INSPECTOR)

    def inspected(self, p: Project, n: int, milestone: str, rating: str, when: dt.datetime, order: str | None = None):
        payload = {
            "inspection_id": f"i{n}",
            "milestone_id": milestone,
            "rating": rating,
            "findings": "督查意见",
            "order_id": order,
            "at": when.isoformat(),
        }
        return self._inspection(p, "InspectionRecorded", payload, INSPECTOR)

    def ordered(self, p: Project, order: str, milestone: str, deadline: str, when: dt.datetime) -> Envelope:
        payload = {
            "order_id": order,
            "milestone_id": milestone,
            "inspection_id": "i1",
            "items": ["整改事项"],
            "deadline": deadline,
            "at": when.isoformat(),
        }
        return self._inspection(p, "RectificationOrdered", payload, INSPECTOR)

    def answered(self, p: Project, order: str, when: dt.datetime) -> Envelope:
        payload = {"order_id": order, "answer": "已整改", "at": when.isoformat()}
        return self._inspection(p, "RectificationAnswered", payload, p.secretary)

    def verified(self, p: Project, order: str, when: dt.datetime) -> Envelope:
        return self._inspection(p, "RectificationVerified", {"order_id": order, "at": when.isoformat()}, INSPECTOR)

    # -- acceptance -------------------------------------------------------------------------------
    def _acceptance(self, p: Project, name: str, payload: dict[str, Any], actor: dict[str, str]) -> Envelope:
        aggregate = str(uuid.uuid5(uuid.UUID(p.id), "acceptance"))
        when = dt.datetime.fromisoformat(payload["at"]) if "at" in payload else None
        return self._emit("acceptance", "Acceptance", name, aggregate, p.next("acceptance"),
                          {"project_id": p.id, **payload}, actor, p.department, p.branch, when)  # fmt: skip

    def objection(self, p: Project, feedback: str, raised: dt.datetime, answered: dt.datetime | None) -> None:
        payload = {
            "feedback_id": feedback,
            "kind": "objection",
            "text": "有异议",
            "name": "市民",
            "at": raised.isoformat(),
        }
        self._acceptance(p, "FeedbackReceived", payload, PUBLIC)
        if answered is not None:
            payload = {"feedback_id": feedback, "answer": "已答复", "at": answered.isoformat()}
            self._acceptance(p, "ObjectionAnswered", payload, p.secretary)

    def concluded(self, p: Project, grade: str, label: str, when: dt.datetime) -> Envelope:
        payload = {"grade": grade, "grade_label": label, "score": "90", "rubric": "2026-v1", "at": when.isoformat()}
        return self._acceptance(p, "Concluded", payload, ORGANISER)

    def commended(self, p: Project, level: str, awarded_on: str) -> Envelope:
        payload = {
            "commendation_id": f"c{p.next('commendation')}",
            "level": level,
            "issuer": "中共江苏省委组织部",
            "title": "优秀品牌",
            "awarded_on": awarded_on,
        }
        return self._acceptance(p, "CommendationRecorded", payload, ORGANISER)

    def brand(self, p: Project, name: str) -> Envelope:
        return self._acceptance(p, "BrandDesignated", {"name": name}, ORGANISER)
