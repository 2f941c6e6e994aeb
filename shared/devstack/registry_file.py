"""Read the organisation registry from a YAML or CSV file into the body of POST /organisation.

YAML: {departments: [{code, name, branches: [{code, name, secretary: {id, name}, members: [{id, name}]}]}]}
CSV (UTF-8, header row): department_code, department_name, branch_code, branch_name, secretary_id,
secretary_name, member_id, member_name — one row per member (member columns may be empty for a
branch without members yet).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import yaml

from shared.errors import InvalidInput

CSV_COLUMNS = (
    "department_code",
    "department_name",
    "branch_code",
    "branch_name",
    "secretary_id",
    "secretary_name",
    "member_id",
    "member_name",
)


def read_organisation(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        return parse_csv(text)
    if path.suffix.lower() in (".yaml", ".yml"):
        return parse_yaml(text)
    raise InvalidInput(f"{path.name}: the registry must be a .yaml, .yml or .csv file")


def parse_yaml(text: str) -> dict[str, Any]:
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not isinstance(data.get("departments"), list):
        raise InvalidInput("the YAML registry needs a top-level 'departments' list")
    return {"departments": data["departments"]}


def parse_csv(text: str) -> dict[str, Any]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_COLUMNS[:6] if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(f"the CSV registry lacks the columns: {', '.join(missing)}")
    departments: dict[str, dict[str, Any]] = {}
    for line, row in enumerate(reader, start=2):
        values = {k: (row.get(k) or "").strip() for k in CSV_COLUMNS}
        for column in CSV_COLUMNS[:6]:
            if not values[column]:
                raise InvalidInput(f"CSV line {line}: {column} is empty")
        department = departments.setdefault(
            values["department_code"],
            {"code": values["department_code"], "name": values["department_name"], "branches": {}},
        )
        branch = department["branches"].setdefault(
            values["branch_code"],
            {
                "code": values["branch_code"],
                "name": values["branch_name"],
                "secretary": {"id": values["secretary_id"], "name": values["secretary_name"]},
                "members": [],
            },
        )
        if values["member_id"]:
            branch["members"].append({"id": values["member_id"], "name": values["member_name"] or values["member_id"]})
    return {"departments": [{**d, "branches": list(d["branches"].values())} for d in departments.values()]}
