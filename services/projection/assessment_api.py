"""考核评价 API: schemes, live and published scores explained, 加减分, publication, what-if, exports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

import asyncpg
from fastapi import Path, Query, Request

from services.projection import assessment_reads as reads
from services.projection import assessment_responses as r
from services.projection import assessment_schemas as s
from services.projection import time_travel
from services.projection.as_of import AsOf
from services.projection.assessment.ledger import PeriodBook
from services.projection.assessment.period import SUBJECT_LABELS, points
from services.projection.assessment.scheme import Scheme
from services.projection.assessment_access import EVERYTHING, Scope, require_everything, require_organiser, scope
from services.projection.assessment_app import AssessmentApplication
from services.projection.scoring import Live, LiveScores
from shared.api import CurrentPrincipal, RequestId, app_state
from shared.api.bounds import YearInPath
from shared.api.routes import run_sync, service_router
from shared.auth import Principal
from shared.errors import Forbidden, InvalidInput, NotFound

Pool = Annotated[asyncpg.Pool, app_state("pool")]
Store = Annotated[AssessmentApplication, app_state("assessment")]
Scores = Annotated[LiveScores, app_state("live_scores")]
SubjectType = Literal["branch", "secretary", "department"]
Subject = Annotated[SubjectType, Query(description="branch (党支部), secretary (支部书记) or department")]
SchemeVersion = Annotated[str | None, Query(max_length=64, description="a scheme version; default: the current one")]
InDepartment = Annotated[
    str | None, Query(max_length=64, description="only this department's subjects (codes repeat across departments)")
]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Number = Annotated[int, Path(ge=1, le=10_000, description="the publication's number in its period, from 1")]
SubjectId = Annotated[str, Path(max_length=64)]
TAGS: list[str | Any] = ["考核评价 assessment"]
router = service_router()


def scheme_of(live: LiveScores, version: str | None) -> Scheme:
    try:
        return live.scheme(version)
    except LookupError as missing:
        raise NotFound(str(missing), known=list(live.registry.schemes)) from None


async def _period_known(pool: asyncpg.Pool, period: int) -> None:
    async with pool.acquire() as conn:
        known = await reads.periods(conn)
    if period not in known:
        listed = ", ".join(map(str, known)) or "none yet"
        raise NotFound(f"no assessment period {period}: periods with topics or projects: {listed}", known=known)


async def _today(request: Request) -> dt.date:
    """The programme's date; a manual clock is read from its database, in a bridge greenlet."""
    return (await run_sync(request.app.state.programme_clock.now)).date()


async def live_scores_of(
    request: Request,
    pool: asyncpg.Pool,
    store: AssessmentApplication,
    live: LiveScores,
    period: int,
    scheme: Scheme,
    as_of: dt.datetime | None = None,
) -> tuple[Live, int]:
    """The period's live scores under `scheme` (as they stood at `as_of`, if given: with the 加减分 approved
    by then), and the version of its book they counted 加减分 of."""
    await _period_known(pool, period)
    book = await _book(store, period, as_of)
    version = book.version if book else 0
    if as_of is not None:
        return await live.scores_at(pool, period, scheme, store.approved_in(book), as_of), version
    result = await live.scores(pool, period, scheme, store.approved_in(book), version, await _today(request))
    return result, version


async def _book(store: AssessmentApplication, period: int, as_of: dt.datetime | None) -> PeriodBook | None:
    """The period's book, now or as it stood at `as_of`."""
    if as_of is None:
        return await run_sync(store.book, period)
    return await run_sync(time_travel.book_at, store, period, as_of)


def _page(rows: list[dict[str, Any]], limit: int, offset: int) -> list[dict[str, Any]]:
    return rows[offset : offset + limit]


def visible(rows: list[dict[str, Any]], where: Scope, department: str | None) -> list[dict[str, Any]]:
    """The rows the caller may read, of `department` if named (a department outside their scope: 403)."""
    if department is not None and where.department is not None and department != where.department:
        raise Forbidden(f"you read the scores of {where.department}, not of {department}")
    return [row for row in rows if where.admits(row) and (department is None or row["department"] == department)]


# -- schemes ---------------------------------------------------------------------------------------
def _scheme_summary(scheme: Scheme, current: str) -> dict[str, Any]:
    return {
        "version": scheme.version,
        "title": scheme.title,
        "content_hash": scheme.content_hash,
        "current": scheme.version == current,
        "source": scheme.source.rsplit("/", 1)[-1],
    }


@router.get("/assessment/schemes", response_model=list[r.SchemeSummary], tags=TAGS)
async def list_schemes(live: Scores, who: CurrentPrincipal) -> list[dict[str, Any]]:
    """The assessment schemes (考核评价方案) this service knows, each with its content hash."""
    return [_scheme_summary(scheme, live.current) for scheme in live.registry.schemes.values()]


@router.get("/assessment/schemes/{version}", response_model=r.SchemeDetail, tags=TAGS)
async def get_scheme(
    version: Annotated[str, Path(max_length=64)], live: Scores, who: CurrentPrincipal
) -> dict[str, Any]:
    """One scheme: every line with its Chinese label and points, the star bands, the tie rule, the 加减分 limits."""
    scheme = scheme_of(live, version)

    def section(part: Any) -> dict[str, Any]:
        return {
            "base": str(part.base),
            "lines": [
                {
                    "code": line.code,
                    "label": line.label,
                    "points": str(line.points),
                    "points_by": {k: str(v) for k, v in line.points_by},
                    "deadline": f"{line.deadline[0]:02d}-{line.deadline[1]:02d}" if line.deadline else None,
                    "within_days": line.within_days,
                    "share": str(line.share) if line.share is not None else None,
                    "grades": list(line.grades),
                }
                for line in part.lines
            ],
        }

    return {
        **_scheme_summary(scheme, live.current),
        "branch": section(scheme.branch),
        "secretary": section(scheme.secretary),
        "department": section(scheme.department),
        "stars": [{"stars": b.stars, "min": str(b.min) if b.min is not None else None} for b in scheme.stars],
        "ties": scheme.ties,
        "tie_label": scheme.tie_label,
        "adjustment_label": scheme.adjustment_label,
        "max_add": str(scheme.max_add),
        "max_deduct": str(scheme.max_deduct),
    }


# -- periods and live scores -----------------------------------------------------------------------
@router.get("/assessment/periods", response_model=list[r.PeriodSummary], tags=TAGS)
async def list_periods(pool: Pool, store: Store, who: CurrentPrincipal) -> list[dict[str, Any]]:
    """The periods (calendar years) with topics or projects, and how often each was published."""
    async with pool.acquire() as conn:
        known = await reads.periods(conn)
    found = []
    for period in known:
        book = await run_sync(store.book, period)
        published = book.publications if book else []
        found.append(
            {
                "period": period,
                "publications": len(published),
                "last_published_at": published[-1]["at"] if published else None,
            }
        )
    return found


def _page_of(
    period: int,
    kind: str,
    rows: list[dict[str, Any]],
    frozen: tuple[str, str, str, int | None],
    limit: int,
    offset: int,
) -> dict[str, Any]:
    version, digest, as_of, publication = frozen
    return {
        "period": period,
        "subject_type": kind,
        "subject_label": SUBJECT_LABELS[kind],
        "scheme_version": version,
        "scheme_hash": digest,
        "provisional": publication is None,
        "publication": publication,
        "as_of": as_of,
        "total": len(rows),
        "limit": limit,
        "offset": offset,
        "items": _page(rows, limit, offset),
    }


@router.get("/assessment/periods/{period}/scores", response_model=r.ScorePage, tags=TAGS)
async def live_scores(
    period: YearInPath,
    request: Request,
    pool: Pool,
    store: Store,
    live: Scores,
    who: CurrentPrincipal,
    as_of: AsOf,
    subject_type: Subject = "branch",
    scheme: SchemeVersion = None,
    department: InDepartment = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Live (provisional) scores of a period, in rank order, as far as you may read them; as_of: as they
    stood then (the events and 加减分 recorded by then, dated that day)."""
    where = scope(who, subject_type, published=False)
    result, _ = await live_scores_of(request, pool, store, live, period, scheme_of(live, scheme), as_of)
    rows = visible(result.data[subject_type], where, department)
    s_ = result.scores
    return _page_of(
        period, subject_type, rows, (s_.scheme_version, s_.scheme_hash, s_.as_of.isoformat(), None), limit, offset
    )


def one(
    rows: list[dict[str, Any]], subject_type: str, subject_id: str, where: Scope, department: str | None = None
) -> dict[str, Any]:
    """The subject's row; codes are unique within a department only: name it if two share one."""
    found = [row for row in rows if row["subject_id"] == subject_id and department in (None, row["department"])]
    if not found:
        sample = [row["subject_id"] for row in rows if where.admits(row)][:20]
        raise NotFound(
            f"no {subject_type} {subject_id} in this period; yours include: {', '.join(sample) or 'none'}",
            known=sample,
        )
    admitted = [row for row in found if where.admits(row)]
    if not admitted:
        raise Forbidden(f"you may not read the score of {subject_type} {subject_id}")
    if len(admitted) > 1:
        places = ", ".join(f"{row['department']}/{row['branch'] or '-'}" for row in admitted)
        raise InvalidInput(
            f"{subject_type} {subject_id} is found in {places}: name its department with ?department=",
            departments=[row["department"] for row in admitted],
        )
    return admitted[0]


async def _explained(
    pool: asyncpg.Pool,
    store: AssessmentApplication,
    request: Request,
    row: dict[str, Any],
    who: Principal,
    as_of: dt.datetime | None = None,
) -> dict[str, Any]:
    """A copy of the row whose lines name the events behind them, resolved from the audit trail, with
    the subject's 加减分 (pending and rejected ones only for the organisation department and auditors;
    those of `as_of`, as they stood then)."""
    row = {**row, "lines": [dict(line) for line in row["lines"]]}
    ids = [i for line in row["lines"] for i in line["event_ids"] if not i.startswith("adjustment:")]
    async with pool.acquire() as conn:
        events = await reads.events_by_id(conn, ids, request.app.state.timezone)
    for line in row["lines"]:
        line["events"] = [events[i] for i in line["event_ids"] if i in events]
    book = await _book(store, row["period"], as_of)
    subject = (row["subject_type"], row["department"], row["subject_id"])
    row["adjustments"] = [
        a
        for a in (book.adjustments.values() if book else [])
        if (a["subject_type"], a.get("department"), a["subject_id"]) == subject
        and (a["state"] == "approved" or who.role in EVERYTHING)
    ]
    return row


@router.get(
    "/assessment/periods/{period}/scores/{subject_type}/{subject_id}", response_model=r.ExplainedScore, tags=TAGS
)
async def live_score(
    period: YearInPath,
    subject_type: SubjectType,
    subject_id: SubjectId,
    request: Request,
    pool: Pool,
    store: Store,
    live: Scores,
    who: CurrentPrincipal,
    as_of: AsOf,
    scheme: SchemeVersion = None,
    department: InDepartment = None,
) -> dict[str, Any]:
    """One subject's live score, line by line, each line with the events behind it (id, type, time,
    service and its audit trail), and the subject's 加减分; as_of: as it stood then."""
    where = scope(who, subject_type, published=False)
    result, _ = await live_scores_of(request, pool, store, live, period, scheme_of(live, scheme), as_of)
    found = one(result.data[subject_type], subject_type, subject_id, where, department)
    row = await _explained(pool, store, request, found, who, as_of)
    return {**row, "provisional": True, "publication": None, "as_of": result.scores.as_of.isoformat()}


# -- publication -----------------------------------------------------------------------------------
@router.post("/assessment/periods/{period}/publications", status_code=201, response_model=r.PublicationView, tags=TAGS)
async def publish(
    period: YearInPath,
    body: s.Publish,
    request: Request,
    pool: Pool,
    store: Store,
    live: Scores,
    who: CurrentPrincipal,
    request_id: RequestId,
) -> dict[str, Any]:
    """Publish the period's scores (organiser): frozen with the scheme's version and hash. A second
    publication is a correction and needs a reason; every publication stays readable. Should a 加减分
    be decided meanwhile, nothing is recorded (409): publish again."""
    require_organiser(who, "publishing assessment scores")
    scheme = live.scheme()
    result, version = await live_scores_of(request, pool, store, live, period, scheme)
    published = await run_sync(
        store.publish,
        who,
        period,
        scheme,
        result.scores.as_of,
        result.data,
        body.reason or None,
        request_id,
        version,
    )
    return {"period": period, **published}


@router.get("/assessment/periods/{period}/publications", response_model=list[r.PublicationView], tags=TAGS)
async def list_publications(period: YearInPath, store: Store, who: CurrentPrincipal) -> list[dict[str, Any]]:
    """Every publication of the period, the first and its corrections, each with its reason."""
    scope(who, "branch", published=True)
    book = await run_sync(store.book, period)
    return [{"period": period, **p} for p in (book.publications if book else [])]


async def publication_of(store: AssessmentApplication, period: int, number: int) -> tuple[dict[str, Any], Any]:
    book = await run_sync(store.book, period)
    listed = book.publications if book else []
    if not 1 <= number <= len(listed):
        raise NotFound(
            f"{period} has {len(listed)} publication(s); there is no number {number}",
            known=[p["number"] for p in listed],
        )
    frozen = await run_sync(store.publication, period, number)
    return listed[number - 1], frozen


@router.get("/assessment/periods/{period}/publications/{number}", response_model=r.ScorePage, tags=TAGS)
async def published_scores(
    period: YearInPath,
    number: Number,
    store: Store,
    who: CurrentPrincipal,
    subject_type: Subject = "branch",
    department: InDepartment = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """A publication's frozen scores, in rank order, as far as you may read them."""
    where = scope(who, subject_type, published=True)
    listed, frozen = await publication_of(store, period, number)
    rows = visible(frozen.scores[subject_type], where, department)
    kept = (listed["scheme_version"], listed["scheme_hash"], listed["as_of"], number)
    return _page_of(period, subject_type, rows, kept, limit, offset)


@router.get(
    "/assessment/periods/{period}/publications/{number}/{subject_type}/{subject_id}",
    response_model=r.ExplainedScore,
    tags=TAGS,
)
async def published_score(
    period: YearInPath,
    number: Number,
    subject_type: SubjectType,
    subject_id: SubjectId,
    request: Request,
    pool: Pool,
    store: Store,
    who: CurrentPrincipal,
    department: InDepartment = None,
) -> dict[str, Any]:
    """One subject's published score, explained line by line as it was frozen."""
    where = scope(who, subject_type, published=True)
    listed, frozen = await publication_of(store, period, number)
    found = one(frozen.scores[subject_type], subject_type, subject_id, where, department)
    row = await _explained(pool, store, request, found, who)
    counted = {i.removeprefix("adjustment:") for line in row["lines"] for i in line["event_ids"]}
    row["adjustments"] = [a for a in row["adjustments"] if a["adjustment_id"] in counted]
    return {**row, "provisional": False, "publication": number, "as_of": listed["as_of"]}


# -- what-if ---------------------------------------------------------------------------------------
@router.get("/assessment/periods/{period}/what-if", response_model=r.WhatIf, tags=TAGS)
async def what_if(
    period: YearInPath,
    request: Request,
    pool: Pool,
    store: Store,
    live: Scores,
    who: CurrentPrincipal,
    scheme: Annotated[str, Query(max_length=64, description="the scheme version to try")],
    subject_type: Subject = "branch",
    department: InDepartment = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """The period scored under another scheme beside its latest publication (or, before one, the
    live scores under the current scheme). Nothing is recorded or changed."""
    where = scope(who, subject_type, published=False)
    trial = scheme_of(live, scheme)
    book = await run_sync(store.book, period)
    if book and book.publications:
        listed, frozen = await publication_of(store, period, len(book.publications))
        baseline_rows, baseline = frozen.scores[subject_type], f"publication {listed['number']}"
        baseline_scheme = listed["scheme_version"]
    else:
        current, _ = await live_scores_of(request, pool, store, live, period, live.scheme())
        baseline_rows, baseline, baseline_scheme = current.data[subject_type], "live", current.scores.scheme_version
    tried, _ = await live_scores_of(request, pool, store, live, period, trial)
    by_key = {(row["department"], row["branch"], row["subject_id"]): row for row in tried.data[subject_type]}
    items = []
    for row in visible(baseline_rows, where, department):
        other = by_key.get((row["department"], row["branch"], row["subject_id"]))
        if other is None:
            continue
        items.append(
            {
                "subject_id": row["subject_id"],
                "name": row["name"],
                "department": row["department"],
                "baseline_total": row["total"],
                "baseline_stars": row["stars"],
                "baseline_rank": row["city_rank"],
                "what_if_total": other["total"],
                "what_if_stars": other["stars"],
                "what_if_rank": other["city_rank"],
                "difference": points(Decimal(other["total"]) - Decimal(row["total"])),
            }
        )
    return {
        "period": period,
        "subject_type": subject_type,
        "baseline": baseline,
        "baseline_scheme": baseline_scheme,
        "what_if_scheme": trial.version,
        "what_if_hash": trial.content_hash,
        "total": len(items),
        "limit": limit,
        "offset": offset,
        "items": _page(items, limit, offset),
    }


# -- 加减分 ----------------------------------------------------------------------------------------
def _room(live: LiveScores) -> tuple[Decimal, Decimal]:
    """The current scheme's limits on a subject's 加减分 in a period (to add, to deduct)."""
    scheme = live.scheme()
    return (scheme.max_add, scheme.max_deduct)


@router.get("/assessment/periods/{period}/adjustments", response_model=list[r.AdjustmentView], tags=TAGS)
async def list_adjustments(period: YearInPath, store: Store, who: CurrentPrincipal) -> list[dict[str, Any]]:
    """Every 加减分 of the period: pending, approved and rejected, with who proposed and decided."""
    require_everything(who, "reading adjustments")
    book = await run_sync(store.book, period)
    return list(book.adjustments.values()) if book else []


@router.post("/assessment/periods/{period}/adjustments", status_code=201, response_model=r.AdjustmentView, tags=TAGS)
async def propose_adjustment(
    period: YearInPath,
    body: s.ProposeAdjustment,
    request: Request,
    pool: Pool,
    store: Store,
    live: Scores,
    who: CurrentPrincipal,
    request_id: RequestId,
) -> dict[str, Any]:
    """Propose 加减分 for a subject (organiser), with a reason and evidence, within the scheme's
    limits. It counts once a second organiser approves it."""
    require_organiser(who, "proposing adjustments")
    result, _ = await live_scores_of(request, pool, store, live, period, live.scheme())
    row = one(result.data[body.subject_type], body.subject_type, body.subject_id, Scope(), body.department)
    return await run_sync(
        store.propose,
        who,
        period,
        body.subject_type,
        row["department"],
        body.subject_id,
        body.points,
        body.reason,
        body.evidence,
        _room(live),
        request_id,
    )


async def _decide(
    period: int, adjustment_id: str, approve: bool, reason: str, store: Any, live: LiveScores, who: Principal, rid: Any
) -> dict[str, Any]:
    require_organiser(who, "deciding adjustments")
    return await run_sync(store.decide, who, period, adjustment_id, approve, reason, _room(live), rid)


AdjustmentId = Annotated[str, Path(max_length=64)]


@router.post(
    "/assessment/periods/{period}/adjustments/{adjustment_id}/approve", response_model=r.AdjustmentView, tags=TAGS
)
async def approve_adjustment(
    period: YearInPath,
    adjustment_id: AdjustmentId,
    body: s.Decision,
    store: Store,
    live: Scores,
    who: CurrentPrincipal,
    request_id: RequestId,
) -> dict[str, Any]:
    """Approve another organiser's 加减分 (not your own): from now on it counts, as its own line."""
    return await _decide(period, adjustment_id, True, body.reason, store, live, who, request_id)


@router.post(
    "/assessment/periods/{period}/adjustments/{adjustment_id}/reject", response_model=r.AdjustmentView, tags=TAGS
)
async def reject_adjustment(
    period: YearInPath,
    adjustment_id: AdjustmentId,
    body: s.Decision,
    store: Store,
    live: Scores,
    who: CurrentPrincipal,
    request_id: RequestId,
) -> dict[str, Any]:
    """Reject a pending 加减分, with a reason."""
    return await _decide(period, adjustment_id, False, body.reason, store, live, who, request_id)
