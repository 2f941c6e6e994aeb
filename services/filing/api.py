"""The filing API: 党委出题 (topics) and 支部立项 (projects), and the organisation registry."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import Request, Response

from services.filing import responses as r
from services.filing import schemas as s
from services.filing.app import FilingApplication, can_read
from services.filing.domain import Project, Topic
from services.filing.organisation import Department
from services.filing.vocabulary import Direction, ProjectState, TopicState
from shared.api import CurrentPrincipal, RequestId, app_state
from shared.api.bounds import After, FeedPage, YearFilter
from shared.api.routes import service_router
from shared.auth import Role
from shared.errors import InvalidInput
from shared.messaging.feed import event_feed
from shared.views import EventFeed

Filing = Annotated[FilingApplication, app_state("filing")]
router = service_router()


def _id(value: str, what: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise InvalidInput(f"'{value}' is not a valid {what} id (a UUID)") from None


@router.post("/topics", status_code=201, response_model=r.TopicView, tags=["党委出题 topics"])
def pose_topic(
    body: s.PoseTopic, app: Filing, who: CurrentPrincipal, request_id: RequestId, response: Response
) -> dict[str, Any]:
    """Pose a topic for the year (committee)."""
    topic = app.pose_topic(who, body.year, body.direction.value, body.title, body.description, request_id)
    response.headers["Location"] = f"/topics/{topic.id}"
    return s.topic_view(topic)


@router.post("/topics/{topic_id}/revise", response_model=r.TopicView, tags=["党委出题 topics"])
def revise_topic(
    topic_id: str, body: s.ReviseTopic, app: Filing, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Revise a topic's title, description or direction (committee)."""
    changes = body.model_dump(exclude={"expected_version"}, exclude_none=True, mode="json")
    return s.topic_view(app.revise_topic(who, _id(topic_id, "topic"), body.expected_version, request_id, **changes))


@router.post("/topics/{topic_id}/withdraw", response_model=r.TopicView, tags=["党委出题 topics"])
def withdraw_topic(
    topic_id: str, body: s.Withdraw, app: Filing, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Withdraw a topic (committee)."""
    return s.topic_view(app.withdraw_topic(who, _id(topic_id, "topic"), body.expected_version, body.reason, request_id))


@router.get("/topics", response_model=list[r.TopicView], tags=["党委出题 topics"])
def list_topics(
    app: Filing,
    who: CurrentPrincipal,
    department: str | None = None,
    year: YearFilter = None,
    direction: Direction | None = None,
    state: TopicState | None = None,
) -> list[dict[str, Any]]:
    """Topics by department, year, direction and state."""
    found = app.index.select(
        Topic, department=department, year=year, direction=direction and direction.value, state=state and state.value
    )
    return [s.topic_view(t) for t in found if can_read(who, t)]  # type: ignore[arg-type]


@router.get("/topics/{topic_id}", response_model=r.TopicView, tags=["党委出题 topics"])
def get_topic(topic_id: str, app: Filing, who: CurrentPrincipal) -> dict[str, Any]:
    """One topic."""
    return s.topic_view(app.read(who, Topic, _id(topic_id, "topic")))


@router.post("/projects", status_code=201, response_model=r.ProjectView, tags=["支部立项 projects"])
def draft_project(
    body: s.DraftProject, app: Filing, who: CurrentPrincipal, request_id: RequestId, response: Response
) -> dict[str, Any]:
    """Draft a project answering a topic (branch secretary)."""
    project = app.draft_project(
        who,
        _id(body.topic_id, "topic"),
        body.title,
        body.goal,
        body.targets,
        s.milestones_in(body.milestones),
        body.responsible.model_dump(),
        request_id,
    )
    response.headers["Location"] = f"/projects/{project.id}"
    return s.project_view(project)


@router.post("/projects/{project_id}/revise", response_model=r.ProjectView, tags=["支部立项 projects"])
def revise_project(
    project_id: str, body: s.ReviseProject, app: Filing, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Revise a draft or returned project (branch secretary)."""
    changes: dict[str, Any] = body.model_dump(
        exclude={"expected_version", "milestones"}, exclude_none=True, mode="json"
    )
    if body.milestones is not None:
        changes["milestones"] = s.milestones_in(body.milestones)
    return s.project_view(
        app.revise_project(who, _id(project_id, "project"), body.expected_version, request_id, **changes)
    )


@router.post("/projects/{project_id}/submit", response_model=r.ProjectView, tags=["支部立项 projects"])
def submit_project(
    project_id: str, body: s.Expect, app: Filing, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Submit a project to the committee (branch secretary)."""
    return s.project_view(app.submit_project(who, _id(project_id, "project"), body.expected_version, request_id))


@router.post("/projects/{project_id}/withdraw", response_model=r.ProjectView, tags=["支部立项 projects"])
def withdraw_project(
    project_id: str, body: s.Withdraw, app: Filing, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Withdraw a project (branch secretary)."""
    return s.project_view(
        app.withdraw_project(who, _id(project_id, "project"), body.expected_version, body.reason, request_id)
    )


@router.post("/projects/{project_id}/milestone-change", response_model=r.ProjectView, tags=["支部立项 projects"])
def request_milestone_change(
    project_id: str, body: s.MilestoneChange, app: Filing, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Propose a new milestone plan for an approved project; it needs re-approval (branch secretary)."""
    return s.project_view(
        app.request_milestone_change(
            who,
            _id(project_id, "project"),
            body.expected_version,
            s.milestones_in(body.milestones),
            body.reason,
            request_id,
        )
    )


@router.post("/projects/{project_id}/return", response_model=r.ProjectView, tags=["支部立项 projects"])
def return_project(
    project_id: str, body: s.Reasons, app: Filing, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Return a submitted project, or a proposed milestone change, with reasons (committee)."""
    return s.project_view(
        app.return_project(who, _id(project_id, "project"), body.expected_version, body.reasons, request_id)
    )


@router.post("/projects/{project_id}/approve", response_model=r.ProjectView, tags=["支部立项 projects"])
def approve_project(
    project_id: str, body: s.Expect, app: Filing, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Approve a submitted project (立项备案) or a proposed milestone change (committee)."""
    return s.project_view(app.approve_project(who, _id(project_id, "project"), body.expected_version, request_id))


@router.get("/projects", response_model=list[r.ProjectView], tags=["支部立项 projects"])
def list_projects(
    app: Filing,
    who: CurrentPrincipal,
    department: str | None = None,
    branch: str | None = None,
    direction: Direction | None = None,
    year: YearFilter = None,
    state: ProjectState | None = None,
) -> list[dict[str, Any]]:
    """Projects by department, branch, direction, year and state (what you may read)."""
    found = app.index.select(
        Project,
        department=department,
        branch=branch,
        year=year,
        direction=direction and direction.value,
        state=state and state.value,
    )
    return [s.project_view(p) for p in found if can_read(who, p)]  # type: ignore[arg-type]


@router.get("/projects/{project_id}", response_model=r.ProjectView, tags=["支部立项 projects"])
def get_project(project_id: str, app: Filing, who: CurrentPrincipal) -> dict[str, Any]:
    """One project."""
    return s.project_view(app.read(who, Project, _id(project_id, "project")))


@router.post("/organisation", response_model=r.Registered, tags=["organisation registry"])
def import_organisation(
    body: s.Organisation, app: Filing, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, int]:
    """Register departments, branches, secretaries and members (admin); existing ones are kept."""
    return app.import_organisation(who, body.model_dump()["departments"], request_id)


@router.get("/organisation", response_model=list[r.DepartmentView], tags=["organisation registry"])
def list_organisation(app: Filing, who: CurrentPrincipal) -> list[dict[str, Any]]:
    """Departments with their branches and members."""
    return [
        {"code": d.code, "name": d.name, "version": d.version, "branches": list(d.branches.values())}
        for d in app.index.select(Department)
        if can_read(who, d)  # type: ignore[attr-defined]
    ]


@router.get("/events", response_model=EventFeed, tags=["audit"])
def events(
    app: Filing,
    who: CurrentPrincipal,
    request: Request,
    after: After = 0,
    limit: FeedPage = 100,
) -> dict[str, Any]:
    """Every recorded event in order, as integration-event envelopes (auditor, admin)."""
    who.require_role(Role.AUDITOR, Role.ADMIN)
    return event_feed(app, request.app.state.envelopes, after, limit)
