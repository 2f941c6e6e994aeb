"""The inspection API: 节点督查 — checkpoints, inspections, rectification orders, warning colours."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query, Request, Response

from services.inspection import responses as r
from services.inspection import schemas as s
from services.inspection.app import InspectionApplication
from services.inspection.vocabulary import Colour, OrderState
from shared.api import CurrentPrincipal, RequestId, app_state
from shared.api.bounds import After, FeedPage
from shared.api.routes import service_router
from shared.auth import Principal, Role
from shared.errors import InvalidInput
from shared.messaging.feed import event_feed
from shared.views import EventFeed

Inspection = Annotated[InspectionApplication, app_state("inspection")]
router = service_router()


def _project(value: str) -> str:
    try:
        return str(UUID(value))
    except ValueError:
        raise InvalidInput(f"'{value}' is not a valid project id (a UUID)") from None


@router.post(
    "/supervisions/{project_id}/inspections",
    status_code=201,
    response_model=r.InspectionRecorded,
    tags=["节点督查 inspections"],
)
def record_inspection(
    project_id: str,
    body: s.RecordInspection,
    app: Inspection,
    who: CurrentPrincipal,
    request_id: RequestId,
    response: Response,
) -> dict[str, Any]:
    """Record an inspection at a milestone, with a rating, findings and an optional rectification order (inspector)."""
    rectification = body.rectification.model_dump(mode="json") if body.rectification else None
    supervision = app.record_inspection(
        who,
        _project(project_id),
        body.expected_version,
        body.milestone_id,
        body.rating.value,
        body.findings,
        rectification,
        request_id,
    )
    recorded = next(
        (i for i in reversed(supervision.inspections) if request_id and i["request_id"] == request_id),
        supervision.inspections[-1],
    )
    response.headers["Location"] = f"/supervisions/{supervision.project_id}"
    return {
        **s.supervision_view(supervision, app.now().date()),
        "recorded": {"inspection_id": recorded["inspection_id"], "order_id": recorded["order_id"]},
    }


@router.post(
    "/supervisions/{project_id}/rectifications/{order_id}/answer",
    response_model=r.SupervisionView,
    tags=["整改 rectifications"],
)
def answer_rectification(
    project_id: str, order_id: str, body: s.Answer, app: Inspection, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Answer a rectification order with what was rectified (the project's branch secretary)."""
    supervision = app.answer_rectification(
        who, _project(project_id), order_id, body.expected_version, body.answer, request_id
    )
    return s.supervision_view(supervision, app.now().date())


@router.post(
    "/supervisions/{project_id}/rectifications/{order_id}/verify",
    response_model=r.SupervisionView,
    tags=["整改 rectifications"],
)
def verify_rectification(
    project_id: str, order_id: str, body: s.Expect, app: Inspection, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Verify an answered rectification and close it (核验销号, inspector)."""
    supervision = app.verify_rectification(who, _project(project_id), order_id, body.expected_version, request_id)
    return s.supervision_view(supervision, app.now().date())


@router.post(
    "/supervisions/{project_id}/rectifications/{order_id}/reject",
    response_model=r.SupervisionView,
    tags=["整改 rectifications"],
)
def reject_rectification(
    project_id: str, order_id: str, body: s.Reject, app: Inspection, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Reject an answered rectification with a reason; the branch answers again (inspector)."""
    supervision = app.reject_rectification(
        who, _project(project_id), order_id, body.expected_version, body.reason, request_id
    )
    return s.supervision_view(supervision, app.now().date())


@router.get("/supervisions/{project_id}", response_model=r.SupervisionView, tags=["节点督查 inspections"])
def get_supervision(project_id: str, app: Inspection, who: CurrentPrincipal) -> dict[str, Any]:
    """One project's supervision: checkpoints, inspections, rectifications, colour and its history."""
    return s.supervision_view(app.read_supervision(who, _project(project_id)), app.now().date())


@router.get("/supervisions", response_model=list[r.SupervisionView], tags=["节点督查 inspections"])
def list_supervisions(
    app: Inspection,
    who: CurrentPrincipal,
    colour: Colour | None = None,
    department: str | None = None,
    branch: str | None = None,
    include_closed: bool = False,
) -> list[dict[str, Any]]:
    """Supervisions by colour, department and branch (what you may read); withdrawn projects only on request."""
    found = app.supervisions(
        who, include_closed=include_closed, colour=colour and colour.value, department=department, branch=branch
    )
    today = app.now().date()
    return [s.supervision_view(x, today) for x in sorted(found, key=lambda x: (x.department, x.record_no))]


@router.get("/checkpoints", response_model=list[r.CheckpointRow], tags=["节点督查 inspections"])
def upcoming_checkpoints(
    app: Inspection,
    who: CurrentPrincipal,
    due_within_days: Annotated[int, Query(ge=0, le=366)] = 7,
    department: str | None = None,
) -> list[dict[str, Any]]:
    """Unmet milestones due from today to `due_within_days` days ahead, across the departments you may read."""
    return _checkpoints(app, who, department, lambda days_left: 0 <= days_left <= due_within_days)


@router.get("/checkpoints/overdue", response_model=list[r.CheckpointRow], tags=["节点督查 inspections"])
def overdue_checkpoints(app: Inspection, who: CurrentPrincipal, department: str | None = None) -> list[dict[str, Any]]:
    """Unmet milestones whose due date has passed, across the departments you may read."""
    return _checkpoints(app, who, department, lambda days_left: days_left < 0)


def _checkpoints(
    app: InspectionApplication, who: Principal, department: str | None, wanted: Callable[[int], bool]
) -> list[dict[str, Any]]:
    today = app.now().date()
    rows = [
        {**s.project_fields(x), **view}
        for x in app.supervisions(who, department=department)
        for view in (s.checkpoint_view(c, today) for c in x.checkpoints.values())
        if not view["met_on"] and wanted(view["days_left"])
    ]
    return sorted(rows, key=lambda r: (r["due"], r["department"], r["record_no"]))


@router.get("/rectifications", response_model=list[r.RectificationRow], tags=["整改 rectifications"])
def list_rectifications(
    app: Inspection, who: CurrentPrincipal, state: OrderState | None = None, department: str | None = None
) -> list[dict[str, Any]]:
    """Rectification orders by state, across the departments you may read."""
    rows = [
        {**s.project_fields(x), **s.order_view(o)}
        for x in app.supervisions(who, department=department)
        for o in x.rectifications.values()
        if state is None or o["state"] == state.value
    ]
    return sorted(rows, key=lambda r: (r["deadline"], r["department"], r["record_no"], r["order_id"]))


@router.get("/events", response_model=EventFeed, tags=["audit"])
def events(
    app: Inspection,
    who: CurrentPrincipal,
    request: Request,
    after: After = 0,
    limit: FeedPage = 100,
) -> dict[str, Any]:
    """Every recorded event in order, as integration-event envelopes (auditor, admin)."""
    who.require_role(Role.AUDITOR, Role.ADMIN)
    return event_feed(app, request.app.state.envelopes, after, limit)
