"""The organisation registry read from YAML and from CSV gives the same body."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.devstack.registry_file import parse_csv, parse_yaml, read_organisation
from shared.errors import InvalidInput

CSV = """department_code,department_name,branch_code,branch_name,secretary_id,secretary_name,member_id,member_name
fgw,市发改委,fgw-b1,机关第一党支部,s-fgw-1,王强,m-001,李扬
fgw,市发改委,fgw-b1,机关第一党支部,s-fgw-1,王强,m-002,刘莉
zwb,市政务办,zwb-b5,第五党支部,s-zwb-5,刘巍,m-101,陈静
zwb,市政务办,zwb-b5,第五党支部,s-zwb-5,刘巍,m-102,赵敏
"""


def test_the_sample_registry_reads_the_same_from_yaml_and_from_csv(tmp_path: Path) -> None:
    sample = read_organisation(Path("deploy/organisation.yaml"))
    (tmp_path / "org.csv").write_text(CSV, encoding="utf-8")
    assert read_organisation(tmp_path / "org.csv") == sample


def test_a_csv_row_with_an_empty_required_column_names_its_line() -> None:
    with pytest.raises(InvalidInput, match="CSV line 3: branch_code is empty"):
        parse_csv(CSV.splitlines()[0] + "\n" + CSV.splitlines()[1] + "\nfgw,市发改委,,x,s,王,m,李\n")


def test_a_csv_without_the_required_columns_says_which_are_missing() -> None:
    with pytest.raises(InvalidInput, match="lacks the columns: secretary_id, secretary_name"):
        parse_csv("department_code,department_name,branch_code,branch_name\nfgw,x,b,y\n")


def test_yaml_without_departments_and_other_file_types_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="top-level 'departments' list"):
        parse_yaml("branches: []")
    (tmp_path / "org.json").write_text("{}")
    with pytest.raises(InvalidInput, match=r"\.yaml, \.yml or \.csv"):
        read_organisation(tmp_path / "org.json")
