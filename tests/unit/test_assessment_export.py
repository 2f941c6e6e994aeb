from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl

from services.projection.assessment.export import ExportRow, ExportSheet, filename, to_csv, to_xlsx

D = Decimal
LINES = (("filed", "立项"), ("meetings", "三会一课"), ("notices", "公示"))


def _row(
    subject_id: str,
    name: str,
    total: str,
    points: tuple[str, str, str],
    *,
    stars: int | None = 3,
    rank: int = 1,
    flags: tuple[str, ...] = (),
    adjustments: tuple[tuple[str, str], ...] = (),
) -> ExportRow:
    lines = tuple((code, label, D(p)) for (code, label), p in zip(LINES, points, strict=True))
    lines += tuple(("adjustment", label, D(p)) for label, p in adjustments)
    return ExportRow(subject_id, name, "宣传部", D(total), stars, rank, rank, flags, lines)


BRANCHES = ExportSheet(
    period=2026,
    subject_type="branch",
    scheme_version="2026.1",
    scheme_hash="ab12cd34",
    status="published #2",
    rows=(
        _row("B001", "第一党支部", "112.50", ("10", "90.50", "2"), stars=5, adjustments=(("表彰", "5"), ("表彰", "5"))),
        _row("B002", "", "0.00", ("0", "0", "0"), stars=1, rank=3, flags=("未立项",)),
        _row("-B003", "=HYPERLINK(1)", "100", ("20", "80", "2"), stars=4, rank=2, adjustments=(("通报", "-2"),)),
    ),
)

FIXED = ["编号", "名称", "所属部门", "总分", "星级", "全市排名", "部门内排名", "标记"]
HEADERS = [*FIXED, "立项", "三会一课", "公示", "加减分"]
EXPECTED = [
    ["B001", "第一党支部", "宣传部", D("112.5"), 5, 1, 1, "", D(10), D("90.5"), D(2), D(10)],
    ["B002", "", "宣传部", D(0), 1, 3, 3, "未立项", D(0), D(0), D(0), D(0)],
    ["'-B003", "'=HYPERLINK(1)", "宣传部", D(100), 4, 2, 2, "", D(20), D(80), D(2), D(-2)],
]


def _read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_xlsx_reads_back_with_chinese_headers_and_numeric_cells() -> None:
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(BRANCHES)))
    assert book.sheetnames == ["2026 党支部", "说明"]
    assert book.properties.title
    scores = book["2026 党支部"]
    values = [list(row) for row in scores.iter_rows(values_only=True)]
    assert values[0] == HEADERS
    assert scores.freeze_panes == "A2"
    assert all(cell.font.bold for cell in scores[1])
    for got, want in zip(values[1:], EXPECTED, strict=True):
        for g, w in zip(got, want, strict=True):
            if isinstance(w, Decimal):
                assert isinstance(g, int | float) and D(str(g)) == w
            else:
                assert g == (w or None)
    assert scores["B4"].data_type == "s"  # the guarded name is text, not a formula


def test_xlsx_explains_the_sheet() -> None:
    about = openpyxl.load_workbook(io.BytesIO(to_xlsx(BRANCHES)))["说明"]
    assert dict(about.iter_rows(values_only=True)) == {
        "考核周期": 2026,
        "考核对象": "党支部",
        "方案版本": "2026.1",
        "方案摘要": "ab12cd34",
        "状态": "published #2",
    }


def test_csv_has_bom_headers_plain_numbers_and_guarded_text() -> None:
    data = to_csv(BRANCHES)
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data
    rows = _read_csv(data)
    assert rows[0] == HEADERS
    assert rows[1:] == [["" if v is None else str(v) for v in row] for row in EXPECTED]
    assert rows[1][3] == "112.5" and rows[2][3] == "0" and rows[3][3] == "100" and rows[3][-1] == "-2"
    assert rows[3][0] == "'-B003" and rows[3][1] == "'=HYPERLINK(1)"


def test_department_sheet_has_no_stars_column() -> None:
    row = _row("D01", "宣传部", "80", ("1", "2", "3"), stars=None)
    sheet = ExportSheet(2026, "department", "2026.1", "ab12cd34", "provisional", (row,))
    header = _read_csv(to_csv(sheet))[0]
    assert "星级" not in header
    assert header[:7] == ["编号", "名称", "所属部门", "总分", "全市排名", "部门内排名", "标记"]
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(sheet)))
    assert book.sheetnames[0] == "2026 部门(机关党组织)"
    assert "星级" not in next(book.active.iter_rows(values_only=True))


def test_empty_sheet_keeps_the_fixed_headers() -> None:
    sheet = ExportSheet(2026, "branch", "2026.1", "ab12cd34", "provisional", ())
    assert _read_csv(to_csv(sheet)) == [FIXED]
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(sheet)))
    assert [list(row) for row in book.active.iter_rows(values_only=True)] == [FIXED]


def test_filename_is_ascii_with_period_and_subject_type() -> None:
    name = filename(BRANCHES, "xlsx")
    assert name.isascii()
    assert name == "assessment-2026-branch-published-2.xlsx"
    provisional = ExportSheet(2026, "secretary", "2026.1", "ab12cd34", "provisional", ())
    assert filename(provisional, "csv") == "assessment-2026-secretary-provisional.csv"
