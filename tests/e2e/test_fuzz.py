"""Schema-driven fuzzing: Schemathesis sends every service requests built from its own OpenAPI
document, valid and invalid, with a token of a role that may use the operation, and no response may
be a 5xx. Bounded to run in about a minute on two cores; select it with `-m fuzz`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from shared.auth import Role
from tests.e2e.running import running_apis
from tests.support import token

pytestmark = [pytest.mark.e2e, pytest.mark.fuzz]

SERVICES = ["filing", "tasking", "inspection", "acceptance", "projection", "identity"]
# The same requests every run; VANGUARD_FUZZ_SEED and VANGUARD_FUZZ_EXAMPLES explore further.
SEED = int(os.environ.get("VANGUARD_FUZZ_SEED", "20261126"))
EXAMPLES = int(os.environ.get("VANGUARD_FUZZ_EXAMPLES", "20"))
UUID_IDS = {"project_id", "topic_id", "task_id"}
CONFIG: dict[str, Any] = {
    "seed": SEED,
    "suppress-health-check": ["all"],
    "generation": {"max-examples": EXAMPLES, "mode": "all"},
    "phases": {
        "examples": {"enabled": False},
        "coverage": {"enabled": True, "unexpected-methods": []},
        "stateful": {"enabled": False},
    },
    # the coverage phase's every-boundary cases for query and path parameters; bodies are fuzzed only
    "operations": [
        {"include-method-regex": "^(POST|PUT)$", "phases": {"coverage": {"enabled": False}}},
        {"include-method": "GET", "generation": {"max-examples": 3 * EXAMPLES}},  # cheap, and all query
    ],
}


# Values generated schemas rarely hold and PostgreSQL refuses: past int4 and int8, and NUL.
HOSTILE: dict[str, list[Any]] = {"integer": [2**31, 2**63, 10**20, -(2**63) - 1], "string": ["\x00", "a\x00b"]}


def who_may(service: str, method: str, path: str) -> tuple[Role, str | None, str | None, str | None]:
    """The role (and department, branch, subject) of a caller the operation admits."""
    if service == "identity":
        return Role.ADMIN, None, None, None  # its sign-in paths take no token: one is sent anyway
    if service == "projection" and method == "POST" and path.startswith("/assessment"):
        return Role.ORGANISER, None, None, "organiser-1"  # 加减分 and publication
    if path == "/events" or service == "projection":
        return Role.AUDITOR, None, None, None
    if path == "/admin/clock" or (service, method, path) == ("filing", "POST", "/organisation"):
        return Role.ADMIN, None, None, None
    if service == "filing":
        committee = path.startswith("/topics") or path.endswith(("/return", "/approve"))
        return (Role.COMMITTEE, "fgw", None, None) if committee else (Role.SECRETARY, "fgw", "fgw-b1", "s-fgw-1")
    if service == "tasking":
        if path == "/evidence" or path.endswith("/progress"):
            return Role.MEMBER, "fgw", "fgw-b1", "m-001"
        return Role.SECRETARY, "fgw", "fgw-b1", "s-fgw-1"
    if service == "inspection":
        return Role.INSPECTOR, None, None, "inspector-1"
    if path.endswith(("/apply", "/answer")):
        return Role.SECRETARY, "fgw", "fgw-b1", "s-fgw-1"
    return (Role.PANELIST, None, None, "panelist-1") if path.endswith("/scores") else (Role.ADMIN, None, None, None)


@pytest.fixture(scope="module")
def apis(tmp_path_factory: pytest.TempPathFactory, pg_dsn: str, kafka_bootstrap: str) -> Iterator[dict[str, str]]:
    with running_apis(tmp_path_factory.mktemp("fuzzed"), pg_dsn, kafka_bootstrap) as urls:
        yield urls


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    # Schemathesis 4.32.5 renames the test node per operation through `_nodeid`, which pytest 9.2's
    # nodes no longer have (they keep a NodeId): without it every fuzz test fails with AttributeError.
    request.node._nodeid = request.node.nodeid


@pytest.fixture(params=SERVICES)
def service(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def service_schema(service: str, apis: dict[str, str]) -> schemathesis.BaseSchema:
    document = httpx.get(f"{apis[service]}/openapi.json").raise_for_status().json()
    config = schemathesis.Config.from_dict({**CONFIG, "base-url": apis[service]})
    schema = schemathesis.openapi.from_dict(with_uuid_ids(document), config=config)
    schema.hook(flatmap_query)
    schema.hook(flatmap_path_parameters)
    return schema


def flatmap_query(context: schemathesis.HookContext, query: dict[str, Any] | None) -> st.SearchStrategy[Any]:
    return or_hostile(query, context.operation.query if context.operation else [])


def flatmap_path_parameters(context: schemathesis.HookContext, path: dict[str, Any] | None) -> st.SearchStrategy[Any]:
    return or_hostile(path, context.operation.path_parameters if context.operation else [])


def or_hostile(values: dict[str, Any] | None, parameters: Any) -> st.SearchStrategy[Any]:
    """The generated values, or them with one parameter set to a HOSTILE value of its type."""
    swaps = [
        (p.name, value)
        for p in parameters
        for kind in kinds(p.definition.get("schema", {}))
        for value in HOSTILE.get(kind, [])
    ]
    if values is None or not swaps:
        return st.just(values)
    return st.one_of(st.just(values), st.sampled_from(swaps).map(lambda swap: {**values, swap[0]: swap[1]}))


def kinds(schema: dict[str, Any]) -> set[str]:
    """The JSON types a parameter's schema admits (FastAPI writes `int | None` as anyOf)."""
    found = {schema["type"]} if isinstance(schema.get("type"), str) else set()
    for alternative in schema.get("anyOf", []) + schema.get("oneOf", []):
        found |= kinds(alternative)
    return found


def with_uuid_ids(document: dict[str, Any]) -> dict[str, Any]:
    """Path ids every service parses as UUIDs, said to be UUIDs, so that valid requests get past the
    parsing to the aggregates (invalid ones are still generated: they violate the format)."""
    for item in document["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in UUID_IDS:
                    parameter["schema"] = {**parameter["schema"], "format": "uuid"}
    return document


schema = schemathesis.pytest.from_fixture("service_schema")


def send(
    client: httpx.Client, case: schemathesis.Case, headers: dict[str, str]
) -> tuple[httpx.Response, dict[str, Any]]:
    """The case sent with httpx: Schemathesis's own requests transport fails on the urllib3-future that
    grafana-client's niquests installs over urllib3 (`'TrafficPolice' object has no attribute 'keys'`)."""
    kwargs = case.as_transport_kwargs(headers=headers)
    sent = dict(kwargs)
    if cookies := sent.pop("cookies", None):  # no service declares any; httpx takes them per client only
        sent["headers"] = {**sent["headers"], "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    if isinstance(sent.get("data"), bytes | str):
        sent["content"] = sent.pop("data")
    return client.request(**sent), kwargs


@schema.parametrize()
def test_no_generated_request_gets_a_server_error(case: schemathesis.Case, service: str, client: httpx.Client) -> None:
    role, department, branch, subject = who_may(service, case.method.upper(), case.path)
    response, sent = send(client, case, {"Authorization": f"Bearer {token(role, department, branch, subject)}"})
    case.validate_response(response, checks=[not_a_server_error], transport_kwargs=sent)
