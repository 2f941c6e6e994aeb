"""优秀案例汇编: the casebook shows what branches and the public wrote as text, never as markup."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader

from services.acceptance.casebook import by_direction, entry, render_html, render_pdf
from tests.projection_history import History, accepted

SCRIPT = "<script>alert(1)</script>"
BOLD = "<b>加粗</b>"


def case(title: str, direction: str, **overrides: Any) -> dict[str, Any]:
    entry = {
        "project_id": "0b8e6c3e-2f0a-4f59-9c1e-1d2a3b4c5d6e",
        "title": title,
        "year": 2026,
        "direction": direction,
        "record_no": "fgw-2026-0b8e6c3e",
        "department": "fgw",
        "department_name": "市发改委",
        "branch": "fgw-b1",
        "branch_name": "第一党支部",
        "goal": f"目标 {SCRIPT}",
        "summary": f"做法 {BOLD} & 更多",
        "outcomes": [{"target": f"群众满意率≥95% {BOLD}", "result": f"达到98% {SCRIPT}"}],
        "grade": "excellent",
        "grade_label": "优秀",
        "score": 95.5,
        "rubric": "2026-v1",
        "brand": f"红色驿站 {BOLD}",
        "commendations": [
            {
                "level": "provincial",
                "level_label": "省级",
                "issuer": f"省委组织部 {SCRIPT}",
                "title": "先进基层党组织",
                "awarded_on": "2026-12-01",
            }
        ],
        "provenance": "http://projection.example/public/projects/0b8e6c3e-2f0a-4f59-9c1e-1d2a3b4c5d6e.html",
    }
    return entry | overrides


CASES = [case(f"环保管家 {SCRIPT}", "high_quality_development"), case("红色领航", "party_building")]


def test_cases_are_grouped_by_direction_in_the_programmes_order() -> None:
    groups = by_direction([*CASES, case("审批提速", "business_environment")])
    assert [g["label"] for g in groups] == ["加强党的自身建设", "推进高质量发展", "优化营商环境建设"]


def test_the_html_casebook_escapes_everything_branches_and_the_public_wrote() -> None:
    html = render_html(2026, CASES)
    assert "<script" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;加粗&lt;/b&gt;" in html
    assert "做法 &lt;b&gt;加粗&lt;/b&gt; &amp; 更多" in html
    assert "加强党的自身建设" in html and "推进高质量发展" in html and "优秀案例汇编" in html
    assert 'href="http://projection.example/public/projects/0b8e6c3e-2f0a-4f59-9c1e-1d2a3b4c5d6e.html"' in html


def test_an_empty_casebook_says_so() -> None:
    assert "本年度尚无入选案例" in render_html(2027, [])


def test_the_pdf_casebook_renders_markup_as_text() -> None:
    pdf = render_pdf(2026, CASES)
    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert SCRIPT in text and BOLD in text and "& 更多" in text
    assert "加强党的自身建设" in text and "省委组织部" in text and "/public/projects/" in text


def test_a_pdf_survives_text_that_looks_like_broken_markup() -> None:
    nasty = case(
        "<para><font name='x'>",
        "work_upgrade",
        summary="</para>&amp;<br/><unknown attr='1'>",
        goal='<a href="javascript:alert(1)">x</a>',
    )
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(render_pdf(2026, [nasty]))).pages)
    assert "<para><font name='x'>" in text and "</para>&amp;<br/>" in text


def test_each_case_links_to_its_public_provenance_page_never_to_the_audit_trail() -> None:
    a = accepted(History(), "环保管家")
    linked = entry(a, None, "http://projection.example/")
    assert linked["provenance"] == f"http://projection.example/public/projects/{a.project_id}.html"
    html, text = render_html(2026, [linked]), _pdf_text(render_pdf(2026, [linked]))
    assert linked["provenance"] in html and linked["provenance"] in text
    assert "audit-trail" not in html and "audit-trail" not in text


def test_without_a_projection_address_a_case_has_no_link_at_all() -> None:
    unlinked = entry(accepted(History(), "环保管家"), None, "")
    assert unlinked["provenance"] is None
    html, text = render_html(2026, [unlinked]), _pdf_text(render_pdf(2026, [unlinked]))
    assert "href" not in html and "/public/projects/" not in text


def _pdf_text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
