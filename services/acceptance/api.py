"""The acceptance API: 公开验收 — applications, public notices and feedback, panels, grades, honours.

The public reads notices, accepted projects, the casebook and commendations, and leaves feedback,
without an account; everything else needs a bearer token.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool

from services.acceptance import casebook as book
from services.acceptance import public_responses as pr
from services.acceptance import responses as r
from services.acceptance import schemas as s
from services.acceptance.app import AcceptanceApplication
from services.acceptance.domain import Acceptance
from services.acceptance.limits import admit, release
from services.acceptance.vocabulary import LEVEL_LABELS, AcceptanceState, CommendationLevel, Grade
from shared.api import CurrentPrincipal, RequestId, app_state
from shared.api.bounds import After, FeedPage, YearFilter, YearInPath
from shared.api.routes import run_sync, service_router
from shared.auth import Principal, Role
from shared.errors import InvalidInput
from shared.messaging.feed import event_feed
from shared.views import EventFeed

Acceptances = Annotated[AcceptanceApplication, app_state("acceptance")]
Pool = Annotated[asyncpg.Pool, app_state("pool")]
router = service_router()
PUBLIC = "公开 public (no account)"
ACCEPTANCE = "公开验收 acceptance"
# The casebook and notices carry text written by branches and the public: nothing in it may run.
SAFE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}


def _id(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise InvalidInput(f"'{value}' is not a valid project id (a UUID)") from None


# -- the public ---------------------------------------------------------------------------------


@router.get("/notices", response_model=list[pr.PublicView], tags=[PUBLIC])
def open_notices(app: Acceptances) -> list[dict[str, Any]]:
    """公示: the public notices open now."""
    now = app.now()
    return [s.public_view(a, now) for a in app.select(state=AcceptanceState.IN_NOTICE.value) if a.notice_running(now)]


@router.get("/notices/{project_id}", response_model=pr.PublicView, tags=[PUBLIC])
def public_notice(project_id: str, app: Acceptances) -> dict[str, Any]:
    """One project's public notice: the application, the period, the feedback counts."""
    return s.public_view(app.public_notice(_id(project_id)), app.now())


@router.post("/notices/{project_id}/feedback", status_code=201, response_model=pr.FeedbackReceipt, tags=[PUBLIC])
async def leave_feedback(
    project_id: str, body: s.Feedback, app: Acceptances, pool: Pool, request: Request, request_id: RequestId
) -> dict[str, Any]:
    """Support or object during the notice period (≤ 500 characters; a few per minute per address)."""
    pid = _id(project_id)
    settings = request.app.state.settings
    async with pool.acquire() as conn:
        reservation = await admit(
            conn,
            request.client.host if request.client else "unknown",
            settings.feedback_rate_limit,
            settings.feedback_rate_window_seconds,
        )
    try:
        acceptance, item = await run_sync(app.give_feedback, pid, body.kind.value, body.text, body.name, request_id)
    except Exception:
        async with pool.acquire() as conn:
            await release(conn, reservation)
        raise
    return {
        "feedback_id": item["feedback_id"],
        "kind": item["kind"],
        "at": item["at"],
        "notice_closes_at": acceptance.notice and acceptance.notice["closes_at"],
    }


@router.get("/accepted", response_model=list[pr.PublicView], tags=[PUBLIC])
def accepted_projects(
    app: Acceptances, grade: Grade | None = None, department: str | None = None, year: YearFilter = None
) -> list[dict[str, Any]]:
    """Accepted projects by grade (验收等次), department and year."""
    now = app.now()
    found = app.select(
        state=AcceptanceState.GRADED.value, grade=grade and grade.value, department=department, year=year
    )
    return [s.public_view(a, now) for a in found]


def _cases(app: AcceptanceApplication, year: int, request: Request) -> list[dict[str, Any]]:
    names = app.names()
    url = request.app.state.settings.projection_url
    return [book.entry(a, names.get(a.department), url) for a in app.select(in_casebook=True, year=year)]


@router.get("/casebook/{year}.html", tags=[PUBLIC], response_class=Response, responses=pr.HTML_PAGE)
def casebook_html(year: YearInPath, app: Acceptances, request: Request) -> Response:
    """优秀案例汇编 as a web page."""
    return Response(
        book.render_html(year, _cases(app, year, request)), media_type="text/html; charset=utf-8", headers=SAFE_HEADERS
    )


@router.get("/casebook/{year}.pdf", tags=[PUBLIC], response_class=Response, responses=pr.PDF_FILE)
async def casebook_pdf(year: YearInPath, app: Acceptances, request: Request) -> Response:
    """优秀案例汇编 as a PDF."""
    cases = await run_sync(_cases, app, year, request)
    pdf = await run_in_threadpool(book.render_pdf, year, cases)
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="casebook-{year}.pdf"'}
    )


@router.get("/casebook/{year}", response_model=pr.Casebook, tags=[PUBLIC])
def casebook(year: YearInPath, app: Acceptances, request: Request) -> dict[str, Any]:
    """优秀案例汇编: the year's selected cases, grouped by direction."""
    cases = _cases(app, year, request)
    return {"year": year, "count": len(cases), "directions": book.by_direction(cases)}


@router.get("/commendations", response_model=pr.Commendations, tags=[PUBLIC])
def commendations(
    app: Acceptances, department: str | None = None, level: CommendationLevel | None = None, year: YearFilter = None
) -> dict[str, Any]:
    """表彰: commendations with their issuers, and their count per department and level."""
    names = app.names()
    entries = [
        {
            **c,
            "level_label": LEVEL_LABELS[CommendationLevel(c["level"])],
            "project_id": a.project_id,
            "project_title": a.title,
            "year": a.year,
            "department": a.department,
            "branch": a.branch,
            "department_name": names[a.department].name if a.department in names else a.department,
        }
        for a in app.select(department=department, year=year)
        for c in a.commendations
        if level is None or c["level"] == level.value
    ]
    counts: dict[str, Counter[str]] = {}
    for e in entries:
        counts.setdefault(e["department"], Counter())[e["level"]] += 1
    return {
        "commendations": entries,
        "by_department": [
            {
                "department": d,
                "department_name": names[d].name if d in names else d,
                **{lv.value: n[lv.value] for lv in CommendationLevel},
                "central_or_provincial": n[CommendationLevel.CENTRAL] + n[CommendationLevel.PROVINCIAL],
            }
            for d, n in sorted(counts.items())
        ],
    }


@router.get("/rubrics", response_model=list[pr.RubricView], tags=[PUBLIC])
def rubrics(app: Acceptances) -> list[dict[str, Any]]:
    """评分细则: every published rubric version, the one new panels score under marked current."""
    return [r.as_dict() | {"current": v == app.rubrics.current} for v, r in app.rubrics.versions.items()]


@router.get("/rubrics/{version}", response_model=pr.RubricView, tags=[PUBLIC])
def rubric(version: str, app: Acceptances) -> dict[str, Any]:
    """评分细则: a rubric's criteria, weights and published grade thresholds."""
    return app.rubrics.get(version).as_dict() | {"current": version == app.rubrics.current}


# -- branches, organisers, panelists --------------------------------------------------------------


def _view(app: AcceptanceApplication, who: Principal, a: Acceptance, now: dt.datetime | None = None) -> dict[str, Any]:
    """An acceptance as `who` may see it: without its scores for a panelist of its own branch (回避)."""
    view = s.acceptance_view(a, now or app.now())
    withheld = app.recusal(who, a)
    if withheld:
        result = view["result"] and {**view["result"], "panel": [{"id": m["id"], "name": m["name"]} for m in a.panel]}
        view |= {"scores": [], "result": result, "scores_withheld": withheld}
    return view


@router.get("/acceptances", response_model=list[r.AcceptanceView], tags=[ACCEPTANCE])
def list_acceptances(
    app: Acceptances,
    who: CurrentPrincipal,
    department: str | None = None,
    state: AcceptanceState | None = None,
    grade: Grade | None = None,
    year: YearFilter = None,
) -> list[dict[str, Any]]:
    """Acceptances you may read, by department, state, grade and year."""
    now = app.now()
    found = app.readable(
        who, department=department, state=state and state.value, grade=grade and grade.value, year=year
    )
    return [_view(app, who, a, now) for a in found]


@router.get("/acceptances/{project_id}", response_model=r.AcceptanceView, tags=[ACCEPTANCE])
def get_acceptance(project_id: str, app: Acceptances, who: CurrentPrincipal) -> dict[str, Any]:
    """One project's acceptance: its milestones, application, notice, feedback, panel, scores, grade."""
    return _view(app, who, app.read_acceptance(who, _id(project_id)))


@router.post("/acceptances/{project_id}/apply", response_model=r.AcceptanceView, tags=[ACCEPTANCE])
def apply(
    project_id: str, body: s.Apply, app: Acceptances, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """申请验收: outcomes against every target, with evidence; every milestone met, no rectification open
    (branch secretary)."""
    acceptance = app.apply(
        who,
        _id(project_id),
        body.expected_version,
        body.summary,
        [o.model_dump() for o in body.outcomes],
        [e.model_dump() for e in body.evidence],
        request_id,
    )
    return _view(app, who, acceptance)


@router.post("/acceptances/{project_id}/notice", response_model=r.AcceptanceView, tags=[ACCEPTANCE])
def open_notice(
    project_id: str, body: s.OpenNotice, app: Acceptances, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Open the public notice (公示) for its period of working days (panel organiser).

    Panel organisers are admins and the panelists named in VANGUARD_ORGANISERS."""
    acceptance = app.open_notice(who, _id(project_id), body.expected_version, body.working_days, request_id)
    return _view(app, who, acceptance)


@router.post("/acceptances/{project_id}/notice/close", response_model=r.AcceptanceView, tags=[ACCEPTANCE])
def close_notice(project_id: str, app: Acceptances, who: CurrentPrincipal, request_id: RequestId) -> dict[str, Any]:
    """Seal the notice's feedback ledger once its period has ended (panel organiser).

    Panel organisers are admins and the panelists named in VANGUARD_ORGANISERS."""
    return _view(app, who, app.close_notice(who, _id(project_id), request_id))


@router.post(
    "/acceptances/{project_id}/feedback/{feedback_id}/answer", response_model=r.AcceptanceView, tags=[ACCEPTANCE]
)
def answer_objection(
    project_id: str, feedback_id: str, body: s.Answer, app: Acceptances, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Answer an objection from the public (branch secretary)."""
    acceptance = app.answer_objection(who, _id(project_id), feedback_id, body.expected_version, body.answer, request_id)
    return _view(app, who, acceptance)


@router.post("/acceptances/{project_id}/panel", response_model=r.AcceptanceView, tags=[ACCEPTANCE])
def appoint_panel(
    project_id: str, body: s.Panel, app: Acceptances, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Appoint the panel: three or more, none from the project's own branch (panel organiser).

    Panel organisers are admins and the panelists named in VANGUARD_ORGANISERS."""
    acceptance = app.appoint_panel(
        who, _id(project_id), body.expected_version, [m.model_dump() for m in body.members], request_id
    )
    return _view(app, who, acceptance)


@router.post("/acceptances/{project_id}/scores", response_model=r.AcceptanceView, tags=[ACCEPTANCE])
def score(
    project_id: str, body: s.Score, app: Acceptances, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Score every criterion of the panel's rubric 0–100; a later score replaces yours (panelist)."""
    return _view(app, who, app.score(who, _id(project_id), body.scores, body.comment, request_id))


@router.post("/acceptances/{project_id}/conclude", response_model=r.AcceptanceView, tags=[ACCEPTANCE])
def conclude(
    project_id: str, body: s.Expect, app: Acceptances, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """The grade, from the panel's mean weighted score by the rubric's thresholds (panel organiser).

    Panel organisers are admins and the panelists named in VANGUARD_ORGANISERS."""
    return _view(app, who, app.conclude(who, _id(project_id), body.expected_version, request_id))


@router.post("/acceptances/{project_id}/casebook", response_model=r.AcceptanceView, tags=[ACCEPTANCE])
def select_for_casebook(
    project_id: str, body: s.Expect, app: Acceptances, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Select an excellent project for the year's casebook (panel organiser).

    Panel organisers are admins and the panelists named in VANGUARD_ORGANISERS."""
    acceptance = app.select_for_casebook(who, _id(project_id), body.expected_version, request_id)
    return _view(app, who, acceptance)


@router.post("/acceptances/{project_id}/brand", response_model=r.AcceptanceView, tags=[ACCEPTANCE])
def designate_brand(
    project_id: str, body: s.Brand, app: Acceptances, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Designate an excellent project a party-building brand (党建品牌) (panel organiser).

    Panel organisers are admins and the panelists named in VANGUARD_ORGANISERS."""
    acceptance = app.designate_brand(who, _id(project_id), body.expected_version, body.name, request_id)
    return _view(app, who, acceptance)


@router.post(
    "/acceptances/{project_id}/commendations", status_code=201, response_model=r.AcceptanceView, tags=[ACCEPTANCE]
)
def record_commendation(
    project_id: str, body: s.Commendation, app: Acceptances, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Record a municipal, provincial or central commendation with its issuer (panel organiser).

    Panel organisers are admins and the panelists named in VANGUARD_ORGANISERS."""
    acceptance = app.record_commendation(
        who,
        _id(project_id),
        body.expected_version,
        body.level.value,
        body.issuer,
        body.title,
        body.awarded_on.isoformat(),
        request_id,
    )
    return _view(app, who, acceptance)


@router.get("/events", response_model=EventFeed, tags=["audit"])
def events(
    app: Acceptances,
    who: CurrentPrincipal,
    request: Request,
    after: After = 0,
    limit: FeedPage = 100,
) -> dict[str, Any]:
    """Every recorded event in order, as integration-event envelopes (auditor, admin)."""
    who.require_role(Role.AUDITOR, Role.ADMIN)
    return event_feed(app, request.app.state.envelopes, after, limit)
