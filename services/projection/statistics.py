"""Reads for the statistics (统计): counts over the read models, scoped and summed in SQL.

`department` None reads every department; a code reads that one only (the WHERE of every query).
A project counts as approved (立项备案) once it has a record number, unless it was withdrawn; what
follows approval (colours, milestones, rectifications, grades) is counted over approved projects.
Figures come at three levels: per (department, direction), per department (direction None) and
in all (both None).
"""

from __future__ import annotations

from typing import Any

import asyncpg

Key = tuple[str | None, str | None]  # (department, direction); None where summed over

_SCOPED = """
WITH scoped AS (
    SELECT id, department, direction, branch, state, grade, colour,
           record_no IS NOT NULL AND state <> 'withdrawn' AS approved
    FROM projects
    WHERE year = $1 AND ($2::text IS NULL OR department = $2) AND ($3::text IS NULL OR direction = $3)
)
"""

_FIGURES = (
    _SCOPED
    + """,
plan AS (
    SELECT m.project_id, count(*) AS milestones, count(m.met_on) AS met,
           count(*) FILTER (WHERE m.overdue AND m.met_on IS NULL) AS overdue
    FROM milestones m JOIN scoped s ON s.id = m.project_id AND s.approved
    GROUP BY m.project_id
),
orders AS (
    SELECT r.project_id, count(*) FILTER (WHERE r.state <> 'verified') AS open
    FROM rectifications r JOIN scoped s ON s.id = r.project_id AND s.approved
    GROUP BY r.project_id
)
SELECT s.department, s.direction,
       count(*) AS projects,
       count(*) FILTER (WHERE s.approved) AS approved,
       count(s.grade) FILTER (WHERE s.approved) AS graded,
       coalesce(sum(p.milestones), 0)::int AS milestones,
       coalesce(sum(p.met), 0)::int AS milestones_met,
       coalesce(sum(p.overdue), 0)::int AS overdue_milestones,
       coalesce(sum(o.open), 0)::int AS open_rectifications,
       count(DISTINCT ARRAY[b.department, b.branch]) FILTER (WHERE s.approved AND b.branch IS NOT NULL)
           AS branches_with_project
FROM scoped s
LEFT JOIN plan p ON p.project_id = s.id
LEFT JOIN orders o ON o.project_id = s.id
LEFT JOIN branches b ON b.department = s.department AND b.branch = s.branch
GROUP BY GROUPING SETS ((s.department, s.direction), (s.department), ())
"""
)

# Codes counted per key: every state; grades and colours of approved projects.
_TALLIES = (
    _SCOPED
    + """
SELECT 'state' AS kind, department, direction, state AS code, count(*) AS n FROM scoped
GROUP BY GROUPING SETS ((department, direction, state), (department, state), (state))
UNION ALL
SELECT 'grade', department, direction, grade, count(*) FROM scoped WHERE approved AND grade IS NOT NULL
GROUP BY GROUPING SETS ((department, direction, grade), (department, grade), (grade))
UNION ALL
SELECT 'colour', department, direction, colour, count(*) FROM scoped WHERE approved
GROUP BY GROUPING SETS ((department, direction, colour), (department, colour), (colour))
"""
)

_REGISTERED = """
SELECT b.department, count(*) AS branches
FROM branches b WHERE $1::text IS NULL OR b.department = $1
GROUP BY ROLLUP (b.department)
"""


COUNTS = (
    "projects",
    "approved",
    "graded",
    "milestones",
    "milestones_met",
    "overdue_milestones",
    "open_rectifications",
    "branches_with_project",
)


def _nothing(department: str | None) -> dict[str, Any]:
    return {"department": department, "direction": None, **dict.fromkeys(COUNTS, 0), "tallies": {}}


async def figures(
    conn: asyncpg.Connection, year: int, department: str | None, direction: str | None
) -> dict[Key, dict[str, Any]]:
    """Each key's counts, with `tallies` {kind: {code: count}} and `branches` registered in its department(s).

    Departments with registered branches but no project that year have a row too, and so has the whole.
    """
    out: dict[Key, dict[str, Any]] = {}
    for row in await conn.fetch(_FIGURES, year, department, direction):
        out[(row["department"], row["direction"])] = {**row, "tallies": {}}
    for row in await conn.fetch(_TALLIES, year, department, direction):
        found = out[(row["department"], row["direction"])]
        found["tallies"].setdefault(row["kind"], {})[row["code"]] = row["n"]
    registered = {row["department"]: row["branches"] for row in await conn.fetch(_REGISTERED, department)}
    for code in (*registered, None):
        out.setdefault((code, None), _nothing(code))
    for key, found in out.items():
        found["branches"] = registered.get(key[0], 0)
    return out


async def department_names(conn: asyncpg.Connection) -> dict[str, str]:
    return {row["code"]: row["name"] for row in await conn.fetch("SELECT code, name FROM departments")}


_MONTHLY = """
WITH months AS (SELECT generate_series(1, 12) AS month),
approvals AS (  -- when the committee approved, by the programme's clock (older events: when recorded)
    SELECT project_id, coalesce((payload->>'at')::timestamptz, occurred_at) AS at
    FROM audit_trail
    WHERE type = 'filing.Project.Approved' AND ($2::text IS NULL OR department = $2)
),
approved AS (
    SELECT extract(month FROM at AT TIME ZONE $3)::int AS month, count(DISTINCT project_id) AS n
    FROM approvals
    WHERE at >= make_timestamptz($1, 1, 1, 0, 0, 0, $3) AND at < make_timestamptz($1 + 1, 1, 1, 0, 0, 0, $3)
    GROUP BY 1
),
met AS (
    SELECT extract(month FROM m.met_on)::int AS month, count(*) AS n
    FROM milestones m JOIN projects p ON p.id = m.project_id
    WHERE ($2::text IS NULL OR p.department = $2)
      AND m.met_on >= make_date($1, 1, 1) AND m.met_on < make_date($1 + 1, 1, 1)
    GROUP BY 1
),
inspected AS (
    SELECT extract(month FROM i.at AT TIME ZONE $3)::int AS month, count(*) AS n
    FROM inspections i JOIN projects p ON p.id = i.project_id
    WHERE ($2::text IS NULL OR p.department = $2)
      AND i.at >= make_timestamptz($1, 1, 1, 0, 0, 0, $3) AND i.at < make_timestamptz($1 + 1, 1, 1, 0, 0, 0, $3)
    GROUP BY 1
),
ordered AS (  -- a rectification is ordered by an inspection: its time is the inspection's
    SELECT extract(month FROM i.at AT TIME ZONE $3)::int AS month, count(*) AS n
    FROM rectifications r
    JOIN inspections i ON i.project_id = r.project_id AND i.order_id = r.order_id
    JOIN projects p ON p.id = r.project_id
    WHERE ($2::text IS NULL OR p.department = $2)
      AND i.at >= make_timestamptz($1, 1, 1, 0, 0, 0, $3) AND i.at < make_timestamptz($1 + 1, 1, 1, 0, 0, 0, $3)
    GROUP BY 1
),
graded AS (
    SELECT extract(month FROM graded_at AT TIME ZONE $3)::int AS month, count(*) AS n
    FROM projects
    WHERE ($2::text IS NULL OR department = $2)
      AND graded_at >= make_timestamptz($1, 1, 1, 0, 0, 0, $3)
      AND graded_at < make_timestamptz($1 + 1, 1, 1, 0, 0, 0, $3)
    GROUP BY 1
)
SELECT months.month,
       coalesce(approved.n, 0) AS projects_approved,
       coalesce(met.n, 0) AS milestones_met,
       coalesce(inspected.n, 0) AS inspections,
       coalesce(ordered.n, 0) AS rectifications_ordered,
       coalesce(graded.n, 0) AS projects_graded
FROM months
LEFT JOIN approved USING (month)
LEFT JOIN met USING (month)
LEFT JOIN inspected USING (month)
LEFT JOIN ordered USING (month)
LEFT JOIN graded USING (month)
ORDER BY months.month
"""


async def monthly(conn: asyncpg.Connection, year: int, department: str | None, timezone: str) -> list[dict[str, Any]]:
    """What happened in each month of the calendar year, in `timezone` (months 1–12, zeros included)."""
    return [dict(row) for row in await conn.fetch(_MONTHLY, year, department, timezone)]


_UNCOVERED = """
FROM branches b LEFT JOIN departments d ON d.code = b.department
WHERE ($2::text IS NULL OR b.department = $2)
  AND NOT EXISTS (
      SELECT FROM projects p
      WHERE p.department = b.department AND p.branch = b.branch AND p.year = $1
        AND p.record_no IS NOT NULL AND p.state <> 'withdrawn')
"""


async def uncovered_branches(
    conn: asyncpg.Connection, year: int, department: str | None, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """Registered branches without an approved project for the year (未立项), by department and
    branch: how many in all, and a page of them with their projects under way (not yet approved)."""
    total = await conn.fetchval(f"SELECT count(*) {_UNCOVERED}", year, department)
    rows = await conn.fetch(
        f"""SELECT b.department, d.name AS department_name, b.branch, b.name, b.secretary_id, b.secretary_name,
                   b.registered_at,
                   (SELECT count(*) FROM projects p WHERE p.department = b.department AND p.branch = b.branch
                        AND p.year = $1 AND p.state <> 'withdrawn')::int AS projects_under_way
            {_UNCOVERED}
            ORDER BY b.department, b.branch LIMIT $3 OFFSET $4""",
        year,
        department,
        limit,
        offset,
    )
    return total, [{**row, "registered_at": row["registered_at"].isoformat()} for row in rows]
