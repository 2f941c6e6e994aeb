"""Each service's OpenAPI document is a contract a generated client can rely on: every success has a
named schema, every request body its fields and the main ones an example, every refusal a problem.

The answers themselves are held to the documents in test_openapi_answers.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI

from services.acceptance.config import AcceptanceSettings
from services.filing.config import FilingSettings
from services.inspection.config import InspectionSettings
from services.projection.config import ProjectionSettings
from services.tasking.config import TaskingSettings
from tests.support import TRUST

pytestmark = pytest.mark.integration

# GET /health is the shell's (shared/api/setup.py), a flat map of strings; every other answer is a model.
SHELL: set[tuple[str, str]] = set()  # operations allowed an untyped answer: none
OPEN_BY_DESIGN = {"Problem", "ClockView"}  # problems may carry more (errors, blockers); the shell's clock
# The bodies a person writes first, which /docs shows filled in with a realistic example.
EXAMPLED = {
    "filing": {"PoseTopic", "DraftProject", "MilestoneChange", "Reasons", "Organisation"},
    "tasking": {"CreateTask", "Progress", "MilestoneMet"},
    "inspection": {"RecordInspection", "Answer"},
    "acceptance": {"Apply", "OpenNotice", "Feedback", "Answer", "Panel", "Score", "Brand", "Commendation"},
    "projection": set(),
}


def build(service: str, dsn: str, kafka: str) -> FastAPI:
    if service == "filing":
        from services.filing.main import create_app as filing

        return filing(FilingSettings(database_dsn=dsn, departments="fgw", token_keys=TRUST))
    if service == "tasking":
        from services.tasking.main import create_app as tasking

        return tasking(TaskingSettings(database_dsn=dsn, departments="fgw", token_keys=TRUST))
    if service == "inspection":
        from services.inspection.main import create_app as inspection

        return inspection(InspectionSettings(database_dsn=dsn, token_keys=TRUST))
    if service == "acceptance":
        from services.acceptance.main import create_app as acceptance

        return acceptance(AcceptanceSettings(database_dsn=dsn, token_keys=TRUST))
    from services.projection.main import create_app as projection

    return projection(ProjectionSettings(database_dsn=dsn, kafka_bootstrap=kafka, token_keys=TRUST))


@pytest.fixture(scope="module", params=["filing", "tasking", "inspection", "acceptance", "projection"])
def service(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def document(service: str, new_database: Callable[[str], str], kafka_bootstrap: str) -> dict[str, Any]:
    app = build(service, new_database(service), kafka_bootstrap)
    try:
        return app.openapi()
    finally:
        for application in app.state.applications:
            application.close()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, item in document["paths"].items() for m, op in item.items()]


def resolved(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    return document["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema


def test_every_success_is_a_named_model_or_a_list_of_one(document: dict[str, Any]) -> None:
    untyped = []
    for method, path, operation in operations(document):
        for status, answer in operation["responses"].items():
            if not status.startswith("2") or (method, path) in SHELL:
                continue
            for media_type, content in answer.get("content", {}).items():
                schema = content.get("schema", {})
                if media_type == "application/json":
                    named = schema.get("items", {}) if schema.get("type") == "array" else schema
                    if not resolved(document, named).get("properties"):
                        untyped.append(f"{method.upper()} {path} {status}: {schema}")
                elif schema.get("type") != "string":
                    untyped.append(f"{method.upper()} {path} {status} {media_type}: {schema}")
            if not answer.get("content"):
                untyped.append(f"{method.upper()} {path} {status}: no content declared")
    assert untyped == []


def test_no_success_model_lets_an_undeclared_field_through(document: dict[str, Any], service: str) -> None:
    """Views are closed (a field the model lacks fails where it is served); projection rows are open."""
    views = {
        name: schema
        for name, schema in document["components"]["schemas"].items()
        if schema.get("type") == "object" and "properties" in schema
    }
    open_ = sorted(
        n for n, s in views.items() if s.get("additionalProperties", True) is not False and n not in OPEN_BY_DESIGN
    )
    if service == "projection":
        assert "ProjectOverview" in open_ and "AuditEntry" in open_
    else:
        assert open_ == []


def test_every_request_body_has_a_schema_with_its_fields(document: dict[str, Any]) -> None:
    bare = []
    for method, path, operation in operations(document):
        if "requestBody" not in operation:
            continue
        schema = resolved(document, operation["requestBody"]["content"]["application/json"]["schema"])
        if not schema.get("properties") or schema.get("additionalProperties") is not False:
            bare.append(f"{method.upper()} {path}: {schema}")
    assert bare == []


def test_the_main_command_bodies_carry_an_example(document: dict[str, Any], service: str) -> None:
    schemas = document["components"]["schemas"]
    assert {name for name in EXAMPLED[service] if not schemas[name].get("examples")} == set()


def test_every_operation_declares_its_refusals_as_problems(document: dict[str, Any]) -> None:
    undeclared = []
    for method, path, operation in operations(document):
        refusals = {s: r for s, r in operation["responses"].items() if s.startswith("4")}
        wanted = {"404", "422"} | ({"401", "403"} if operation.get("security") else set())
        if missing := wanted - set(refusals):
            undeclared.append(f"{method.upper()} {path}: no {sorted(missing)}")
        for status, answer in refusals.items():
            schema = answer.get("content", {}).get("application/problem+json", {}).get("schema")
            if schema != {"$ref": "#/components/schemas/Problem"}:
                undeclared.append(f"{method.upper()} {path} {status}: {answer}")
    assert undeclared == []
