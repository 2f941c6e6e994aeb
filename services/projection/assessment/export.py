"""Assessment scores as CSV and XLSX bytes, with Chinese headers, one row per subject.

Pure: an ExportSheet in, bytes out. Columns: the fixed ones (星级 for branches only), then one per
scheme line in the first row's order, headed by its label, then 加减分 summing the adjustments.
Text cells that a spreadsheet would read as a formula are prefixed with a single quote.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

ADJUSTMENT = "adjustment"
SUBJECT_LABELS = {"branch": "党支部", "secretary": "支部书记", "department": "部门(机关党组织)"}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | Decimal | int | None


@dataclass(frozen=True)
class ExportRow:
    subject_id: str  # branch code, secretary id, or department code
    subject_name: str  # may be "" when unknown
    department: str
    total: Decimal
    stars: int | None  # only branches have stars; None for others
    city_rank: int
    department_rank: int
    flags: tuple[str, ...]  # e.g. ("未立项",)
    lines: tuple[tuple[str, str, Decimal], ...]  # (code, label, points) in scheme order; adjustments: code "adjustment"


@dataclass(frozen=True)
class ExportSheet:
    period: int
    subject_type: str  # "branch" | "secretary" | "department"
    scheme_version: str
    scheme_hash: str
    status: str  # e.g. "provisional" or "published #2"
    rows: tuple[ExportRow, ...]


def subject_label(subject_type: str) -> str:
    try:
        return SUBJECT_LABELS[subject_type]
    except KeyError:
        raise ValueError(f"unknown subject type: {subject_type!r}") from None


def safe_text(text: str) -> str:
    """Quote a text cell a spreadsheet would otherwise take for a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def plain_decimal(value: Decimal) -> str:
    """112.5, -2, 0, 100: never scientific notation, never -0."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def _line_columns(sheet: ExportSheet) -> list[tuple[str, str]]:
    if not sheet.rows:
        return []
    return [(code, label) for code, label, _ in sheet.rows[0].lines if code != ADJUSTMENT]


def headers(sheet: ExportSheet) -> list[str]:
    fixed = ["编号", "名称", "所属部门", "总分"]
    if sheet.subject_type == "branch":
        fixed.append("星级")
    fixed += ["全市排名", "部门内排名", "标记"]
    lines = _line_columns(sheet)
    return fixed + [label for _, label in lines] + (["加减分"] if sheet.rows else [])


def _cells(sheet: ExportSheet, row: ExportRow) -> list[Cell]:
    cells: list[Cell] = [safe_text(row.subject_id), safe_text(row.subject_name), safe_text(row.department), row.total]
    if sheet.subject_type == "branch":
        cells.append(row.stars)
    cells += [row.city_rank, row.department_rank, safe_text("、".join(row.flags))]
    points = {code: value for code, _, value in row.lines if code != ADJUSTMENT}
    cells += [points.get(code) for code, _ in _line_columns(sheet)]
    cells.append(sum((value for code, _, value in row.lines if code == ADJUSTMENT), Decimal(0)))
    return cells


def table(sheet: ExportSheet) -> list[list[Cell]]:
    """The header row, then one row per subject in the order given."""
    subject_label(sheet.subject_type)
    header: list[Cell] = [*headers(sheet)]
    return [header, *(_cells(sheet, row) for row in sheet.rows)]


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return plain_decimal(value)
    return str(value)


def to_csv(sheet: ExportSheet) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for cells in table(sheet):
        writer.writerow([_csv_cell(value) for value in cells])
    return out.getvalue().encode("utf-8-sig")


def _xlsx_cell(value: Cell) -> str | int | float | None:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _width(values: Sequence[Cell]) -> float:
    longest = max(sum(2 if ord(ch) > 0x2E7F else 1 for ch in _csv_cell(v)) for v in values)
    return min(max(longest + 2, 8), 40)


def to_xlsx(sheet: ExportSheet) -> bytes:
    label = subject_label(sheet.subject_type)
    rows = table(sheet)
    book = Workbook()
    book.properties.title = f"{sheet.period} {label} 考核得分"
    scores = book.active
    assert scores is not None
    scores.title = f"{sheet.period} {label}"
    for cells in rows:
        scores.append([_xlsx_cell(value) for value in cells])
    bold = Font(bold=True)
    for cell in scores[1]:
        cell.font = bold
    scores.freeze_panes = "A2"
    for index, column in enumerate(zip(*rows, strict=True), start=1):
        scores.column_dimensions[get_column_letter(index)].width = _width(column)

    about = book.create_sheet("说明")
    facts = [
        ("考核周期", sheet.period),
        ("考核对象", label),
        ("方案版本", safe_text(sheet.scheme_version)),
        ("方案摘要", safe_text(sheet.scheme_hash)),
        ("状态", safe_text(sheet.status)),
    ]
    for name, value in facts:
        about.append([name, value])
        about.cell(row=about.max_row, column=1).font = bold
    about.column_dimensions["A"].width = 12
    about.column_dimensions["B"].width = max(20, len(sheet.scheme_hash) + 2)

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def filename(sheet: ExportSheet, extension: str) -> str:
    """ASCII only: assessment-2026-branch-provisional.csv, assessment-2026-branch-published-2.xlsx."""

    def slug(text: str) -> str:
        return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unknown"

    return f"assessment-{sheet.period}-{slug(sheet.subject_type)}-{slug(sheet.status)}.{slug(extension)}"
