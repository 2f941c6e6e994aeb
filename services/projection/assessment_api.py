"""考核评价 API: schemes, live and published scores explained, 加减分, publication, what-if, exports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

import asyncpg
from fastapi import Path, Query, Request, Response

from services.projection import assessment_reads as reads
from services.projection import assessment_responses as r
from services.projection import assessment_schemas as s
from services.projection.assessment.export import ExportRow, ExportSheet, filename, to_csv, to_xlsx
from services.projection.assessment.period import SUBJECT_LABELS, PeriodScores, as_data, points
from services.projection.assessment.scheme import Scheme
from services.projection.assessment_access import Scope, require_everything, require_organiser, scope
from services.projection.assessment_app import AssessmentApplication
from services.projection.scoring import LiveScores
from shared.api import CurrentPrincipal, RequestId, app_state
from shared.api.bounds import YearInPath
from shared.api.routes import run_sync, service_router
from shared.auth import Principal
from shared.errors import Forbidden, NotFound

Pool = Annotated[asyncpg.Pool, app_state("pool")]
Store = Annotated[AssessmentApplication, app_state("assessment")]
Live = Annotated[LiveScores, app_state("live_scores")]
SubjectType = Literal["branch", "secretary", "department"]
Subject = Annotated[SubjectType, Query(description="branch (党支部), secretary (支部书记) or department")]
SchemeVersion = Annotated[str | None, Query(max_length=64, description="a scheme version; default: the current one")]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Number = Annotated[int, Path(ge=1, le=10_000, description="the publication's number in its period, from 1")]
TAGS: list[str | Any] = ["考核评价 assessment"]
router = service_router()


def _scheme(live: LiveScores, version: str | None) -> Scheme:
    try:
        return live.scheme(version)
    except LookupError as missing:
        raise NotFound(str(missing), known=list(live.registry.schemes)) from None


async def _period_known(conn: asyncpg.Connection, period: int) -> None:
    known = await reads.periods(conn)
    if period not in known:
        listed = ", ".join(map(str, known)) or "none yet"
        raise NotFound(f"no assessment period {period}: periods with topics or projects: {listed}", known=known)


async def _today(request: Request) -> dt.date:
    """The programme's date; a manual clock is read from its database, in a bridge greenlet."""
    return (await run_sync(request.app.state.programme_clock.now)).date()


async def _live(
    request: Request, pool: asyncpg.Pool, store: AssessmentApplication, live: LiveScores, period: int, scheme: Scheme
) -> PeriodScores:
    book = await run_sync(store.book, period)
    adjustments = await run_sync(store.approved, period)
    async with pool.acquire() as conn:
        await _period_known(conn, period)
        return await live.scores(conn, period, scheme, adjustments, book.version if book else 0, await _today(request))


def _page(rows: list[dict[str, Any]], limit: int, offset: int) -> list[dict[str, Any]]:
    return rows[offset : offset + limit]


def _visible(rows: list[dict[str, Any]], where: Scope, department: str | None) -> list[dict[str, Any]]:
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
async def list_schemes(live: Live, who: CurrentPrincipal) -> list[dict[str, Any]]:
    """The assessment schemes (考核评价方案) this service knows, each with its content hash."""
    return [_scheme_summary(scheme, live.current) for scheme in live.registry.schemes.values()]


@router.get("/assessment/schemes/{version}", response_model=r.SchemeDetail, tags=TAGS)
async def get_scheme(version: Annotated[str, Path(max_length=64)], live: Live, who: CurrentPrincipal) -> dict[str, Any]:
    """One scheme: every line with its Chinese label and points, the star bands, the tie rule, the 加减分 limits."""
    scheme = _scheme(live, version)

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


@router.get("/assessment/periods/{period}/scores", response_model=r.ScorePage, tags=TAGS)
async def live_scores(
    period: YearInPath,
    request: Request,
    pool: Pool,
    store: Store,
    live: Live,
    who: CurrentPrincipal,
    subject_type: Subject = "branch",
    scheme: SchemeVersion = None,
    department: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Live (provisional) scores of a period, in rank order, as far as you may read them."""
    where = scope(who, subject_type, published=False)
    chosen = _scheme(live, scheme)
    scores = await _live(request, pool, store, live, period, chosen)
    rows = _visible(as_data(scores)[subject_type], where, department)
    return {
        "period": period,
        "subject_type": subject_type,
        "subject_label": SUBJECT_LABELS[subject_type],
        "scheme_version": scores.scheme_version,
        "scheme_hash": scores.scheme_hash,
        "provisional": True,
        "publication": None,
        "as_of": scores.as_of.isoformat(),
        "total": len(rows),
        "limit": limit,
        "offset": offset,
        "items": _page(rows, limit, offset),
    }


def _one(rows: list[dict[str, Any]], subject_type: str, subject_id: str, where: Scope) -> dict[str, Any]:
    found = next((row for row in rows if row["subject_id"] == subject_id), None)
    if found is None:
        sample = [row["subject_id"] for row in rows if where.admits(row)][:20]
        raise NotFound(
            f"no {subject_type} {subject_id} in this period; yours include: {', '.join(sample) or 'none'}",
            known=sample,
        )
    if not where.admits(found):
        raise Forbidden(f"you may not read the score of {subject_type} {subject_id}")
    return found


async def _explained(
    pool: asyncpg.Pool, store: AssessmentApplication, request: Request, row: dict[str, Any]
) -> list[dict[str, Any]]:
    """The row's lines with their events resolved from the audit trail; and its 加减分."""
    ids = [i for line in row["lines"] for i in line["event_ids"] if not i.startswith("adjustment:")]
    async with pool.acquire() as conn:
        events = await reads.events_by_id(conn, ids, request.app.state.timezone)
    for line in row["lines"]:
        line["events"] = [events[i] for i in line["event_ids"] if i in events]
    book = await run_sync(store.book, row["period"])
    return [
        a
        for a in (book.adjustments.values() if book else [])
        if (a["subject_type"], a["subject_id"]) == (row["subject_type"], row["subject_id"])
    ]


@router.get(
    "/assessment/periods/{period}/scores/{subject_type}/{subject_id}", response_model=r.ExplainedScore, tags=TAGS
)
async def live_score(
    period: YearInPath,
    subject_type: SubjectType,
    subject_id: Annotated[str, Path(max_length=64)],
    request: Request,
    pool: Pool,
    store: Store,
    live: Live,
    who: CurrentPrincipal,
    scheme: SchemeVersion = None,
) -> dict[str, Any]:
    """One subject's live score, line by line, each line with the events behind it (id, type, time,
    service and its audit trail) and the subject's 加减分, approved or not."""
    where = scope(who, subject_type, published=False)
    scores = await _live(request, pool, store, live, period, _scheme(live, scheme))
    row = dict(_one(as_data(scores)[subject_type], subject_type, subject_id, where))
    adjustments = await _explained(pool, store, request, row)
    return {
        **row,
        "provisional": True,
        "publication": None,
        "as_of": scores.as_of.isoformat(),
        "adjustments": adjustments,
    }


# -- publication -----------------------------------------------------------------------------------
@router.post("/assessment/periods/{period}/publications", status_code=201, response_model=r.PublicationView, tags=TAGS)
async def publish(
    period: YearInPath,
    body: s.Publish,
    request: Request,
    pool: Pool,
    store: Store,
    live: Live,
    who: CurrentPrincipal,
    request_id: RequestId,
) -> dict[str, Any]:
    """Publish the period's scores (organiser): frozen with the scheme's version and hash. A second
    publication is a correction and needs a reason; every publication stays readable."""
    require_organiser(who, "publishing assessment scores")
    scheme = live.scheme()
    scores = await _live(request, pool, store, live, period, scheme)
    published = await run_sync(
        store.publish, who, period, scheme, scores.as_of, as_data(scores), body.reason or None, request_id
    )
    return {"period": period, **published}


@router.get("/assessment/periods/{period}/publications", response_model=list[r.PublicationView], tags=TAGS)
async def list_publications(period: YearInPath, store: Store, who: CurrentPrincipal) -> list[dict[str, Any]]:
    """Every publication of the period, the first and its corrections, each with its reason."""
    scope(who, "branch", published=True)
    book = await run_sync(store.book, period)
    return [{"period": period, **p} for p in (book.publications if book else [])]


async def _publication(store: AssessmentApplication, period: int, number: int) -> tuple[dict[str, Any], Any]:
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
    department: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """A publication's frozen scores, in rank order, as far as you may read them."""
    where = scope(who, subject_type, published=True)
    listed, frozen = await _publication(store, period, number)
    rows = _visible(frozen.scores[subject_type], where, department)
    return {
        "period": period,
        "subject_type": subject_type,
        "subject_label": SUBJECT_LABELS[subject_type],
        "scheme_version": listed["scheme_version"],
        "scheme_hash": listed["scheme_hash"],
        "provisional": False,
        "publication": number,
        "as_of": listed["as_of"],
        "total": len(rows),
        "limit": limit,
        "offset": offset,
        "items": _page(rows, limit, offset),
    }


@router.get(
    "/assessment/periods/{period}/publications/{number}/{subject_type}/{subject_id}",
    response_model=r.ExplainedScore,
    tags=TAGS,
)
async def published_score(
    period: YearInPath,
    number: Number,
    subject_type: SubjectType,
    subject_id: Annotated[str, Path(max_length=64)],
    request: Request,
    pool: Pool,
    store: Store,
    who: CurrentPrincipal,
) -> dict[str, Any]:
    """One subject's published score, explained line by line as it was frozen."""
    where = scope(who, subject_type, published=True)
    listed, frozen = await _publication(store, period, number)
    row = {**_one(frozen.scores[subject_type], subject_type, subject_id, where)}
    row["lines"] = [dict(line) for line in row["lines"]]
    adjustments = await _explained(pool, store, request, row)
    counted = {i.removeprefix("adjustment:") for line in row["lines"] for i in line["event_ids"]}
    return {
        **row,
        "provisional": False,
        "publication": number,
        "as_of": listed["as_of"],
        "adjustments": [a for a in adjustments if a["adjustment_id"] in counted],
    }


# -- what-if ---------------------------------------------------------------------------------------
@router.get("/assessment/periods/{period}/what-if", response_model=r.WhatIf, tags=TAGS)
async def what_if(
    period: YearInPath,
    request: Request,
    pool: Pool,
    store: Store,
    live: Live,
    who: CurrentPrincipal,
    scheme: Annotated[str, Query(max_length=64, description="the scheme version to try")],
    subject_type: Subject = "branch",
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """The period scored under another scheme beside its latest publication (or, before one, the
    live scores under the current scheme). Nothing is recorded or changed."""
    where = scope(who, subject_type, published=False)
    trial = _scheme(live, scheme)
    book = await run_sync(store.book, period)
    if book and book.publications:
        listed, frozen = await _publication(store, period, len(book.publications))
        baseline_rows, baseline_name, baseline_scheme = (
            frozen.scores[subject_type],
            f"publication {listed['number']}",
            listed["scheme_version"],
        )
    else:
        current = await _live(request, pool, store, live, period, live.scheme())
        baseline_rows, baseline_name, baseline_scheme = as_data(current)[subject_type], "live", current.scheme_version
    tried = {
        row["subject_id"]: row for row in as_data(await _live(request, pool, store, live, period, trial))[subject_type]
    }
    items = []
    for row in baseline_rows:
        if not where.admits(row) or row["subject_id"] not in tried:
            continue
        other = tried[row["subject_id"]]
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
        "baseline": baseline_name,
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
    live: Live,
    who: CurrentPrincipal,
    request_id: RequestId,
) -> dict[str, Any]:
    """Propose 加减分 for a subject (organiser), with a reason and evidence, within the scheme's
    limits. It counts once a second organiser approves it."""
    require_organiser(who, "proposing adjustments")
    scores = await _live(request, pool, store, live, period, live.scheme())
    rows = as_data(scores)[body.subject_type]
    _one(rows, body.subject_type, body.subject_id, Scope())
    return await run_sync(
        store.propose,
        who,
        period,
        body.subject_type,
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
    live: Live,
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
    live: Live,
    who: CurrentPrincipal,
    request_id: RequestId,
) -> dict[str, Any]:
    """Reject a pending 加减分, with a reason."""
    return await _decide(period, adjustment_id, False, body.reason, store, live, who, request_id)


# -- exports ---------------------------------------------------------------------------------------
_MEDIA = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get(
    "/assessment/periods/{period}/export.{extension}",
    tags=TAGS,
    response_class=Response,
    responses={
        200: {
            "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in _MEDIA.values()},
            "description": "the file: CSV (UTF-8 with a BOM) or XLSX",
        }
    },
)
async def export(
    period: YearInPath,
    extension: Literal["csv", "xlsx"],
    request: Request,
    pool: Pool,
    store: Store,
    live: Live,
    who: CurrentPrincipal,
    subject_type: Subject = "branch",
    publication: Annotated[int | None, Query(ge=1, le=10_000, description="a publication's number; none: live")] = None,
    department: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """One row per subject with total, stars, rank and every line's points, Chinese headers: CSV or XLSX."""
    where = scope(who, subject_type, published=publication is not None)
    if publication is None:
        scores = await _live(request, pool, store, live, period, live.scheme())
        rows, version, digest, status = (
            as_data(scores)[subject_type],
            scores.scheme_version,
            scores.scheme_hash,
            "provisional",
        )
    else:
        listed, frozen = await _publication(store, period, publication)
        rows, version, digest = frozen.scores[subject_type], listed["scheme_version"], listed["scheme_hash"]
        status = f"published #{publication}"
    sheet = ExportSheet(
        period,
        subject_type,
        version,
        digest,
        status,
        tuple(
            ExportRow(
                row["subject_id"],
                row["name"],
                row["department"],
                Decimal(row["total"]),
                row["stars"],
                row["city_rank"],
                row["department_rank"],
                tuple(row["flags"]),
                tuple((line["code"], line["label"], Decimal(line["points"])) for line in row["lines"]),
            )
            for row in _visible(rows, where, department)
        ),
    )
    content = to_csv(sheet) if extension == "csv" else to_xlsx(sheet)
    return Response(
        content,
        media_type=_MEDIA[extension],
        headers={"Content-Disposition": f'attachment; filename="{filename(sheet, extension)}"'},
    )
