"""公开验收 in the project overview: application, notice, feedback, panel, grade and honours.

Each event updates its project's row only if the acceptance's version recorded there is older
(`acceptance_version`), so applying an event twice changes nothing; one whose project has not
arrived from filing yet waits for it (NotReady). Times are those the acceptance service stamped
(its programme clock). Acceptance's copies of other services' facts (Filed, ProjectApproved,
MilestoneMet, ...) and the panelists' individual scores stay in the audit trail only.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from services.projection.facts import known_project, programme_time
from services.projection.vocabulary import LEVEL_LABELS, ProjectState, label
from shared.contracts import Envelope
from shared.messaging.inbox import Handler


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def _update(
    conn: asyncpg.Connection,
    e: Envelope,
    values: dict[str, object],
    *,
    stage: ProjectState | None = None,
    expressions: tuple[str, ...] = (),
    appended: dict[str, object] | None = None,
) -> None:
    """Set `values`, `expressions` (SQL of constants and columns) and the acceptance stage; append
    to the jsonb arrays in `appended`."""
    project_id = e.payload["project_id"]
    await known_project(conn, project_id)
    args: list[object] = [project_id, e.aggregate_version]
    sets = ["acceptance_version = $2", *expressions]
    for column, value in values.items():
        args.append(value)
        sets.append(f"{column} = ${len(args)}")
    for column, value in (appended or {}).items():
        args.append(_json(value))
        sets.append(f"{column} = {column} || jsonb_build_array(${len(args)}::jsonb)")
    if stage is not None:
        args.append(stage.value)
        n = len(args)
        sets.append(f"acceptance_state = ${n}::text")
        sets.append(f"state = CASE WHEN filing_state = 'withdrawn' THEN filing_state ELSE ${n}::text END")
    await conn.execute(
        f"UPDATE projects SET {', '.join(sets)} WHERE id = $1 AND acceptance_version < $2",
        *args,
    )


async def applied(conn: asyncpg.Connection, e: Envelope) -> None:
    """申请验收 (made, or changed before the notice opens)."""
    p = e.payload
    application = {"summary": p["summary"], "outcomes": p["outcomes"], "evidence": p["evidence"]}
    values = {"applied_at": programme_time(e), "application": _json(application)}
    await _update(conn, e, values, stage=ProjectState.APPLIED)


async def notice_opened(conn: asyncpg.Connection, e: Envelope) -> None:
    """公示 published: its period in working days, and when it closes."""
    p = e.payload
    values = {
        "notice_opened_at": programme_time(e, "opened_at"),
        "notice_closes_at": programme_time(e, "closes_at"),
        "notice_working_days": p["working_days"],
    }
    await _update(conn, e, values, stage=ProjectState.IN_NOTICE)


async def feedback_received(conn: asyncpg.Connection, e: Envelope) -> None:
    """The public's support or objection: counted (who wrote it stays in the audit trail)."""
    objection = 1 if e.payload["kind"] == "objection" else 0
    counts = ("feedback_count = feedback_count + 1", f"objection_count = objection_count + {objection}")
    await _update(conn, e, {}, expressions=counts)


async def objection_answered(conn: asyncpg.Connection, e: Envelope) -> None:
    await _update(conn, e, {}, expressions=("objections_answered = objections_answered + 1",))


async def notice_closed(conn: asyncpg.Connection, e: Envelope) -> None:
    """The feedback ledger sealed: its counts are final."""
    p = e.payload
    values = {
        "notice_closed_at": programme_time(e, "closed_at"),
        "feedback_count": p["support"] + p["objections"],
        "objection_count": p["objections"],
    }
    await _update(conn, e, values, stage=ProjectState.NOTICE_CLOSED)


async def panel_appointed(conn: asyncpg.Connection, e: Envelope) -> None:
    p = e.payload
    await _update(conn, e, {"panel": _json(p["members"]), "rubric": p["rubric"]})


async def concluded(conn: asyncpg.Connection, e: Envelope) -> None:
    """验收等次: the grade from the panel's mean weighted score."""
    p = e.payload
    values = {
        "grade": p["grade"],
        "grade_label": p["grade_label"],
        "score": float(p["score"]),
        "rubric": p["rubric"],
        "graded_at": programme_time(e),
    }
    await _update(conn, e, values, stage=ProjectState.GRADED)


async def selected_for_casebook(conn: asyncpg.Connection, e: Envelope) -> None:
    await _update(conn, e, {"in_casebook": True})


async def brand_designated(conn: asyncpg.Connection, e: Envelope) -> None:
    await _update(conn, e, {"brand": e.payload["name"]})


async def commendation_recorded(conn: asyncpg.Connection, e: Envelope) -> None:
    p = e.payload
    commendation = {
        "commendation_id": p["commendation_id"],
        "level": p["level"],
        "level_label": label(LEVEL_LABELS, p["level"]),
        "issuer": p["issuer"],
        "title": p["title"],
        "awarded_on": p["awarded_on"],
    }
    await _update(conn, e, {}, appended={"commendations": commendation})


HANDLERS: dict[str, Handler] = {
    f"acceptance.Acceptance.{name}": handle
    for name, handle in {
        "Applied": applied,
        "NoticeOpened": notice_opened,
        "FeedbackReceived": feedback_received,
        "ObjectionAnswered": objection_answered,
        "NoticeClosed": notice_closed,
        "PanelAppointed": panel_appointed,
        "Concluded": concluded,
        "SelectedForCasebook": selected_for_casebook,
        "BrandDesignated": brand_designated,
        "CommendationRecorded": commendation_recorded,
    }.items()
}
