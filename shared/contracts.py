"""Integration events: the envelope every service publishes, and the catalogue of contracts.

Envelope, schema version 1 (JSON, UTF-8), one Kafka message per domain event:

    event_id          UUID, stable for the event: uuid5(aggregate_id, version), so a republished
                      event carries the id it had the first time
    type              "<service>.<Aggregate>.<Event>", e.g. "filing.Project.Approved"
    schema_version    of this envelope and the payload of `type`
    aggregate_id      the aggregate the event belongs to (also the Kafka message key)
    aggregate_type    "Project", "Topic", "Department", ...
    aggregate_version 1, 2, 3 ... per aggregate, without gaps
    department        the department whose data this is
    branch            the branch, where the aggregate belongs to one
    actor             {"id", "role", "department"?, "branch"?}: who caused it
    request_id        the client's request id of the command that recorded it
    occurred_at       ISO-8601 UTC timestamp at which it was recorded
    source            {"service", "instance", "position"}: the notification id in the source's
                      event store, which orders every event of that store
    payload           the event's own fields (see CATALOGUE)

Topics: one per service instance, "<prefix>.<service>.<instance>", keyed by aggregate id.
Consumers subscribe by pattern. A record whose key is MARKER_KEY is the relay's marker (it
tells the relay whether the broker still holds what it published) and carries no event.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA_VERSION = 1
MARKER_KEY = b"__vanguard_relay_marker__"


@dataclass(frozen=True)
class Envelope:
    event_id: str
    type: str
    aggregate_id: str
    aggregate_type: str
    aggregate_version: int
    department: str
    branch: str | None
    actor: dict[str, str]
    request_id: str | None
    occurred_at: str
    source: dict[str, Any]
    payload: dict[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    @property
    def service(self) -> str:
        return str(self.source["service"])

    @property
    def event_name(self) -> str:
        return self.type.rsplit(".", 1)[-1]

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Envelope:
        """Parse and check the envelope's shape (a consumer keeps what fails as a dead letter)."""
        raw = json.loads(data)
        if not isinstance(raw, dict):
            raise ValueError("an envelope is a JSON object")
        if raw.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"unsupported envelope schema_version {raw.get('schema_version')}")
        envelope = cls(**raw)
        envelope.check()
        return envelope

    def check(self) -> None:
        """Raise ValueError unless every field has the type and form the contract promises."""
        uuid.UUID(self.event_id)
        uuid.UUID(self.aggregate_id)
        version = self.aggregate_version
        if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version < 2**31:
            raise ValueError(f"aggregate_version {version!r} is not a positive 32-bit integer")
        for name in ("type", "aggregate_type", "department", "occurred_at"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"{name} must be a string")
        if self.branch is not None and not isinstance(self.branch, str):
            raise ValueError("branch must be a string or null")
        if self.request_id is not None and not isinstance(self.request_id, str):
            raise ValueError("request_id must be a string or null")
        if not isinstance(self.actor, dict) or not isinstance(self.payload, dict):
            raise ValueError("actor and payload must be objects")
        if not isinstance(self.source, dict) or not {"service", "instance", "position"} <= self.source.keys():
            raise ValueError("source must name its service, instance and position")
        if dt.datetime.fromisoformat(self.occurred_at).tzinfo is None:
            raise ValueError("occurred_at must carry its time zone")


def event_id(aggregate_id: uuid.UUID | str, version: int) -> str:
    return str(uuid.uuid5(uuid.UUID(str(aggregate_id)), str(version)))


def topic_name(prefix: str, service: str, instance: str) -> str:
    return f"{prefix}.{service}.{instance}"


def topic_pattern(prefix: str, services: tuple[str, ...] = ()) -> str:
    escaped = prefix.replace(".", r"\.")
    group = "|".join(services) if services else "[a-z]+"
    return rf"^{escaped}\.({group})\..+$"


# The contracts each service publishes: event type -> what its payload holds.
CATALOGUE: dict[str, dict[str, str]] = {
    "filing.Department.Registered": {"code": "department code", "name": "name"},
    "filing.Department.BranchRegistered": {
        "code": "branch code",
        "name": "name",
        "secretary_id": "member id of the 支部书记",
        "secretary_name": "name",
    },
    "filing.Department.MemberRegistered": {"branch": "branch code", "member_id": "id", "name": "name"},
    "filing.Topic.Posed": {
        "year": "int",
        "direction": "direction code",
        "title": "str",
        "description": "str",
    },
    "filing.Topic.Revised": {"title": "str", "description": "str", "direction": "direction code"},
    "filing.Topic.Withdrawn": {"reason": "str"},
    "filing.Project.Drafted": {
        "topic_id": "uuid",
        "year": "int",
        "direction": "code",
        "title": "str",
        "goal": "str",
        "targets": "[str]",
        "milestones": "[{id, title, due (date), deliverable}]",
        "responsible": "{id, name}",
    },
    "filing.Project.Revised": {"...": "the fields that changed, as in Drafted"},
    "filing.Project.Submitted": {},
    "filing.Project.Returned": {"reasons": "[str]"},
    "filing.Project.Approved": {"record_no": "备案号", "title": "str", "milestones": "the approved plan"},
    "filing.Project.MilestoneChangeRequested": {"milestones": "proposed plan", "reason": "str"},
    "filing.Project.MilestoneChangeApproved": {"milestones": "the approved plan"},
    "filing.Project.MilestoneChangeReturned": {"reasons": "[str]"},
    "filing.Project.Withdrawn": {"reason": "str"},
    # tasking (任务到人); every payload carries project_id
    "tasking.Roster.MemberEnrolled": {"branch": "code", "member_id": "id", "name": "str"},
    "tasking.TaskBoard.Opened": {"project_id": "uuid", "title": "str", "record_no": "str", "milestones": "plan"},
    "tasking.TaskBoard.Replanned": {"project_id": "uuid", "milestones": "plan"},
    "tasking.TaskBoard.Closed": {"project_id": "uuid", "reason": "str"},
    "tasking.TaskBoard.TaskAdded": {"project_id": "uuid", "task_id": "uuid", "milestone_id": "id"},
    "tasking.TaskBoard.MilestoneMet": {
        "project_id": "uuid",
        "milestone_id": "id",
        "deliverable": "{title, link}",
        "met_on": "date",
    },
    "tasking.Task.Created": {
        "project_id": "uuid",
        "milestone_id": "id",
        "title": "str",
        "description": "str",
        "due": "date",
        "assignee": "member id",
        "assignee_name": "str",
    },
    "tasking.Task.Assigned": {"project_id": "uuid", "milestone_id": "id", "assignee": "id", "assignee_name": "str"},
    "tasking.Task.ProgressReported": {
        "project_id": "uuid",
        "milestone_id": "id",
        "percent": "0-100",
        "note": "str",
        "evidence": "[{kind: link, url} | {kind: file, sha256, name, size, media_type}]",
    },
    "tasking.Task.Completed": {"project_id": "uuid", "milestone_id": "id", "note": "str"},
    "tasking.Task.Reopened": {"project_id": "uuid", "milestone_id": "id", "reason": "str"},
    "tasking.Task.Cancelled": {"project_id": "uuid", "milestone_id": "id", "reason": "str"},
    # inspection (节点督查); every payload carries project_id
    "inspection.Supervision.Scheduled": {
        "project_id": "uuid",
        "record_no": "str",
        "title": "str",
        "milestones": "plan",
        "at": "datetime",
    },
    "inspection.Supervision.Replanned": {
        "project_id": "uuid",
        "milestones": "plan",
        "dropped": "[id]",
        "cleared": "[id]",
    },
    "inspection.Supervision.Closed": {"project_id": "uuid", "reason": "str"},
    "inspection.Supervision.MilestoneMet": {
        "project_id": "uuid",
        "milestone_id": "id",
        "met_on": "date",
        "deliverable": "{title, link}",
        "late": "bool",
    },
    "inspection.Supervision.ProgressReported": {
        "project_id": "uuid",
        "milestone_id": "id",
        "task_id": "uuid",
        "percent": "0-100",
        "note": "str",
    },
    "inspection.Supervision.InspectionRecorded": {
        "project_id": "uuid",
        "inspection_id": "i1…",
        "milestone_id": "id",
        "rating": "on_track|lagging|at_risk",
        "findings": "str",
        "order_id": "r1… or null",
        "at": "datetime",
    },
    "inspection.Supervision.RectificationOrdered": {
        "project_id": "uuid",
        "order_id": "r1…",
        "milestone_id": "id",
        "inspection_id": "id",
        "items": "[str]",
        "deadline": "date",
    },
    "inspection.Supervision.RectificationAnswered": {
        "project_id": "uuid",
        "order_id": "id",
        "answer": "str",
        "at": "datetime",
        "late": "bool",
    },
    "inspection.Supervision.RectificationVerified": {"project_id": "uuid", "order_id": "id", "at": "datetime"},
    "inspection.Supervision.RectificationRejected": {
        "project_id": "uuid",
        "order_id": "id",
        "reason": "str",
        "at": "datetime",
    },
    "inspection.Supervision.DueSoon": {"project_id": "uuid", "milestone_id": "id", "due": "date", "days_left": "int"},
    "inspection.Supervision.MilestoneOverdue": {"project_id": "uuid", "milestone_id": "id", "due": "date"},
    "inspection.Supervision.RectificationOverdue": {"project_id": "uuid", "order_id": "id", "deadline": "date"},
    # acceptance (公开验收); every payload carries project_id. Its Roster.* and the copies of upstream
    # facts (Filed, ProjectApproved, PlanChanged, MilestoneMet, Rectification*, ProjectWithdrawn) are internal.
    "acceptance.Acceptance.Applied": {
        "summary": "str",
        "outcomes": "[{target, result}]",
        "evidence": "[{url, title}]",
        "at": "datetime",
    },
    "acceptance.Acceptance.NoticeOpened": {"opened_at": "datetime", "closes_at": "datetime", "working_days": "int"},
    "acceptance.Acceptance.FeedbackReceived": {
        "feedback_id": "id",
        "kind": "support|objection",
        "text": "≤500",
        "name": "str",
        "at": "datetime",
    },
    "acceptance.Acceptance.ObjectionAnswered": {"feedback_id": "id", "answer": "str", "at": "datetime"},
    "acceptance.Acceptance.NoticeClosed": {
        "closed_at": "datetime",
        "support": "int",
        "objections": "int",
        "ledger_sha256": "hex",
    },
    "acceptance.Acceptance.PanelAppointed": {"members": "[{id, name, department, branch}]", "rubric": "version"},
    "acceptance.Acceptance.Scored": {
        "panelist": "id",
        "rubric": "version",
        "scores": "{criterion: 0-100}",
        "weighted": "decimal",
        "comment": "str",
        "at": "datetime",
    },
    "acceptance.Acceptance.Concluded": {
        "grade": "excellent|good|pass|fail",
        "grade_label": "优秀|良好|合格|不合格",
        "score": "decimal",
        "rubric": "version",
        "thresholds": "{}",
        "panel": "[]",
    },
    "acceptance.Acceptance.SelectedForCasebook": {"year": "int", "direction": "code"},
    "acceptance.Acceptance.BrandDesignated": {"name": "str"},
    "acceptance.Acceptance.CommendationRecorded": {
        "commendation_id": "id",
        "level": "municipal|provincial|central",
        "issuer": "str",
        "title": "str",
        "awarded_on": "date",
    },
    "inspection.Supervision.ColourChanged": {
        "project_id": "uuid",
        "colour": "green|blue|yellow|red",
        "previous": "colour",
        "reasons": "[中文 / English]",
        "at": "datetime",
    },
}
