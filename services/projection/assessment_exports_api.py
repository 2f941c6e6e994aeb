"""考核评价 exports: one row per subject with total, stars, rank and every line's points, CSV or XLSX."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from fastapi import Query, Request, Response

from services.projection.assessment.export import ExportRow, ExportSheet, filename, to_csv, to_xlsx
from services.projection.assessment_access import scope
from services.projection.assessment_api import (
    TAGS,
    InDepartment,
    Pool,
    Scores,
    Store,
    Subject,
    live_scores_of,
    publication_of,
    visible,
)
from shared.api import CurrentPrincipal
from shared.api.bounds import YearInPath
from shared.api.routes import service_router

router = service_router()
MEDIA = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get(
    "/assessment/periods/{period}/export.{extension}",
    tags=TAGS,
    response_class=Response,
    responses={
        200: {
            "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in MEDIA.values()},
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
    live: Scores,
    who: CurrentPrincipal,
    subject_type: Subject = "branch",
    publication: Annotated[int | None, Query(ge=1, le=10_000, description="a publication's number; none: live")] = None,
    department: InDepartment = None,
) -> Response:
    """One row per subject with total, stars, rank and every line's points, Chinese headers: CSV or XLSX."""
    where = scope(who, subject_type, published=publication is not None)
    if publication is None:
        result, _ = await live_scores_of(request, pool, store, live, period, live.scheme())
        rows, status = result.data[subject_type], "provisional"
        version, digest = result.scores.scheme_version, result.scores.scheme_hash
    else:
        listed, frozen = await publication_of(store, period, publication)
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
            for row in visible(rows, where, department)
        ),
    )
    content = to_csv(sheet) if extension == "csv" else to_xlsx(sheet)
    return Response(
        content,
        media_type=MEDIA[extension],
        headers={"Content-Disposition": f'attachment; filename="{filename(sheet, extension)}"'},
    )
