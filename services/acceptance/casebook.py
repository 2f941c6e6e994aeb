"""优秀案例汇编: the year's casebook of excellent projects, as HTML and as PDF.

Everything in it that branches or the public wrote is text, never markup: the HTML template
autoescapes, and the PDF escapes each string before reportlab's Paragraph parses its mini-markup.
A public page links only to public pages: each case to its public record on the projection.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from services.acceptance.domain import Acceptance
from services.acceptance.roster import Roster
from services.acceptance.vocabulary import GRADE_LABELS, LEVEL_LABELS, CommendationLevel, Grade
from shared.vocabulary import DIRECTION_LABELS, Direction

TEMPLATES = Path(__file__).resolve().parent / "templates"
FONT = "STSong-Light"  # reportlab's built-in CID font: Chinese without font files


def entry(acceptance: Acceptance, roster: Roster | None, projection_url: str) -> dict[str, Any]:
    """One case, in plain types: what the casebook shows of a project."""
    application = acceptance.application or {}
    result = acceptance.result or {}
    return {
        "project_id": acceptance.project_id,
        "title": acceptance.title,
        "year": acceptance.year,
        "direction": acceptance.direction,
        "record_no": acceptance.record_no or "",
        "department": acceptance.department,
        "department_name": roster.name if roster else acceptance.department,
        "branch": acceptance.branch,
        "branch_name": roster.branch_name(acceptance.branch) if roster else acceptance.branch,
        "goal": acceptance.goal,
        "summary": application.get("summary", ""),
        "outcomes": application.get("outcomes", []),
        "grade": acceptance.grade,
        "grade_label": GRADE_LABELS[Grade(acceptance.grade)] if acceptance.grade else "",
        "score": result.get("score"),
        "rubric": result.get("rubric", ""),
        "brand": acceptance.brand or "",
        "commendations": [
            {**c, "level_label": LEVEL_LABELS[CommendationLevel(c["level"])]} for c in acceptance.commendations
        ],
        "provenance": provenance_url(projection_url, acceptance.project_id),
    }


def provenance_url(projection_url: str, project_id: str) -> str | None:
    """The case's public record on the projection (no sign-in needed, unlike its audit trail);
    None when the casebook is not told where the projection is: no link rather than a broken one."""
    if not projection_url:
        return None
    return f"{projection_url.rstrip('/')}/public/projects/{project_id}.html"


def by_direction(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cases grouped under the four directions (选题方向), in the programme's order."""
    groups = []
    for direction in Direction:
        cases = [e for e in entries if e["direction"] == direction.value]
        if cases:
            groups.append({"direction": direction.value, "label": DIRECTION_LABELS[direction], "entries": cases})
    return groups


@functools.cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)


def render_html(year: int, entries: list[dict[str, Any]]) -> str:
    return (
        _environment().get_template("casebook.html").render(year=year, groups=by_direction(entries), count=len(entries))
    )


@functools.cache
def _styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    base = {"fontName": FONT, "wordWrap": "CJK"}
    return {
        "title": ParagraphStyle("title", fontSize=20, leading=28, spaceAfter=12, alignment=1, **base),
        "direction": ParagraphStyle("direction", fontSize=15, leading=22, spaceBefore=14, spaceAfter=6, **base),
        "case": ParagraphStyle("case", fontSize=13, leading=19, spaceBefore=10, spaceAfter=4, **base),
        "body": ParagraphStyle("body", fontSize=10.5, leading=16, **base),
        "item": ParagraphStyle("item", fontSize=10.5, leading=16, leftIndent=14, **base),
    }


def render_pdf(year: int, entries: list[dict[str, Any]]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    st = _styles()

    def p(text: object, style: str = "body") -> Paragraph:
        return Paragraph(escape(str(text)), st[style])

    def labelled(label: str, text: object, style: str = "body") -> Paragraph:
        return Paragraph(f"{escape(label)}:{escape(str(text))}", st[style])

    story = [p(f"{year}年度「一支部一项目」优秀案例汇编", "title"), p(f"共收录优秀案例 {len(entries)} 个")]
    for group in by_direction(entries):
        story.append(p(group["label"], "direction"))
        for case in group["entries"]:
            story.append(p(case["title"], "case"))
            where = f"{case['department_name']} · {case['branch_name']}  备案号 {case['record_no']}"
            story.append(labelled("单位", where))
            story.append(labelled("项目目标", case["goal"]))
            story.append(labelled("主要做法", case["summary"]))
            story.append(p("取得成效:"))
            story += [p(f"· {o['target']}:{o['result']}", "item") for o in case["outcomes"]]
            story.append(labelled("验收等次", f"{case['grade_label']}({case['score']}分,评分细则 {case['rubric']})"))
            if case["brand"]:
                story.append(labelled("党建品牌", case["brand"]))
            for c in case["commendations"]:
                story.append(p(f"· {c['level_label']}表彰:{c['title']}({c['issuer']},{c['awarded_on']})", "item"))
            if case["provenance"]:
                link = escape(case["provenance"], {'"': "&quot;"})
                story.append(Paragraph(f'项目来历:<a href="{link}" color="blue">{link}</a>', st["body"]))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title=f"{year} 优秀案例汇编", author="Vanguard").build(story)
    return buffer.getvalue()
