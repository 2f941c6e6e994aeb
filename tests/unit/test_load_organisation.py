"""deploy/load_organisation.py: the payloads it builds from the registry, and where it sends them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer

from deploy import load_organisation as loader
from services.filing.schemas import Organisation
from shared.auth import Role
from shared.auth.keys import KeySet, SigningKey, jwks
from shared.auth.tokens import TokenVerifier, Trust

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = (ROOT / "deploy" / "organisation.yaml").read_text(encoding="utf-8")
KEY = SigningKey.generate("loader-test")

FGW = {
    "code": "fgw",
    "name": "市发改委",
    "branches": [
        {
            "code": "fgw-b1",
            "name": "机关第一党支部",
            "secretary": {"id": "s-fgw-1", "name": "王强"},
            "members": [{"id": "m-001", "name": "李扬"}, {"id": "m-002", "name": "刘莉"}],
        }
    ],
}
ZWB = {
    "code": "zwb",
    "name": "市政务办",
    "branches": [
        {
            "code": "zwb-b5",
            "name": "第五党支部",
            "secretary": {"id": "s-zwb-5", "name": "刘巍"},
            "members": [{"id": "m-101", "name": "陈静"}, {"id": "m-102", "name": "赵敏"}],
        }
    ],
}


def test_the_shipped_registry_becomes_one_payload_per_department_as_the_api_takes_it() -> None:
    departments = loader.parse_registry(REGISTRY)
    assert departments == [FGW, ZWB]
    for department in departments:
        Organisation.model_validate({"departments": [department]})  # the API's own schema accepts it


def test_each_department_goes_to_its_own_filing_instance() -> None:
    targets = loader.parse_targets(["fgw=http://filing-fgw:8101/", "zwb=http://filing-zwb:8101"])
    loads = loader.plan(loader.parse_registry(REGISTRY), targets, [])
    assert [(x.department, x.urls, x.payload) for x in loads] == [
        ("fgw", ("http://filing-fgw:8101",), {"departments": [FGW]}),
        ("zwb", ("http://filing-zwb:8101",), {"departments": [ZWB]}),
    ]


def test_without_a_named_instance_every_url_is_a_candidate() -> None:
    loads = loader.plan(
        loader.parse_registry(REGISTRY), {"zwb": "http://zwb:1"}, ["http://localhost:8101/", "http://localhost:8102"]
    )
    assert [(x.department, x.urls) for x in loads] == [
        ("fgw", ("http://localhost:8101", "http://localhost:8102")),
        ("zwb", ("http://zwb:1",)),
    ]


def test_the_idempotency_key_follows_the_content() -> None:
    first = loader.plan(loader.parse_registry(REGISTRY), {}, ["http://a"])
    again = loader.plan(loader.parse_registry(REGISTRY), {}, ["http://b"])
    assert [x.idempotency_key for x in first] == [x.idempotency_key for x in again]
    assert first[0].idempotency_key != first[1].idempotency_key
    assert 0 < len(first[0].idempotency_key) <= 128  # the APIs' Idempotency-Key limit
    changed = REGISTRY.replace("刘莉", "刘丽")
    assert loader.plan(loader.parse_registry(changed), {}, ["http://a"])[0].idempotency_key != first[0].idempotency_key


def test_only_the_fields_the_api_takes_are_sent_and_every_id_is_text() -> None:
    text = """
departments:
  - code: fgw
    name: 市发改委
    note: not for the API
    branches:
      - code: 101
        name: 一支部
        secretary: {id: 7, name: 王强, phone: "123"}
"""
    (department,) = loader.parse_registry(text)
    assert department == {
        "code": "fgw",
        "name": "市发改委",
        "branches": [{"code": "101", "name": "一支部", "secretary": {"id": "7", "name": "王强"}, "members": []}],
    }
    Organisation.model_validate({"departments": [department]})


def test_a_department_without_branches_is_sent_as_such() -> None:
    assert loader.parse_registry("departments: [{code: fgw, name: 市发改委}]") == [
        {"code": "fgw", "name": "市发改委", "branches": []}
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "a mapping with a list of 'departments'"),
        ("departments: fgw", "a mapping with a list of 'departments'"),
        ("departments: []", "lists no departments"),
        ("departments: [{name: 市发改委}]", "departments[0]: 'code' is required"),
        ("departments: [{code: fgw, name: '  '}]", "departments[0]: 'name' is required"),
        ("departments: [{code: fgw, name: a}, {code: fgw, name: b}]", "department fgw is listed more than once"),
        ("departments: [{code: fgw, name: a, branches: x}]", "departments[0]: 'branches' must be a list"),
        (
            "departments: [{code: fgw, name: a, branches: [{code: b1, name: 一}]}]",
            "departments[0].branches[0].secretary: expected a mapping with 'id'",
        ),
        (
            "departments: [{code: fgw, name: a, branches: [{code: b1, name: 一, secretary: {id: s}}]}]",
            "departments[0].branches[0].secretary: 'name' is required",
        ),
        (
            "departments: [{code: fgw, name: a, branches: [{code: b1, name: 一, secretary: {id: s, name: 王},"
            " members: [{id: m, name: [x]}]}]}]",
            "departments[0].branches[0].members[0]: 'name' is required",
        ),
        (
            "departments: [{code: fgw, name: a, branches: ["
            "{code: b1, name: 一, secretary: {id: s, name: 王}}, {code: b1, name: 二, secretary: {id: t, name: 李}}]}]",
            "departments[0]: a branch code is listed twice",
        ),
    ],
)
def test_a_registry_the_api_would_refuse_is_refused_before_sending_with_where_it_is_wrong(
    text: str, message: str
) -> None:
    with pytest.raises(loader.RegistryError, match=message.replace("[", r"\[").replace("]", r"\]")):
        loader.parse_registry(text)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["fgw"], "--filing takes CODE=URL"),
        (["=http://a"], "--filing takes CODE=URL"),
        (["fgw=filing-fgw:8101"], "--filing takes CODE=URL"),
        (["fgw=http://a", "fgw=http://b"], "names department 'fgw' twice"),
    ],
)
def test_bad_filing_options_are_refused(options: list[str], message: str) -> None:
    with pytest.raises(loader.RegistryError, match=message):
        loader.parse_targets(options)


def test_a_department_with_nowhere_to_go_or_an_unknown_one_is_refused() -> None:
    departments = loader.parse_registry(REGISTRY)
    with pytest.raises(loader.RegistryError, match="no filing instance for department 'zwb'"):
        loader.plan(departments, {"fgw": "http://a"}, [])
    with pytest.raises(loader.RegistryError, match="--filing names fwg, which the registry does not list"):
        loader.plan(departments, {"fwg": "http://a"}, ["http://b"])


def test_the_token_is_an_admins_signed_with_the_identity_key_given_as_a_jwk_or_a_file(tmp_path: Path) -> None:
    verifier = TokenVerifier(Trust("vanguard-identity", KeySet(json.dumps(jwks(KEY)))))
    KEY.write(tmp_path / "identity.jwk")
    for key in (json.dumps(KEY.private_jwk()), str(tmp_path / "identity.jwk")):
        principal = verifier.verify(loader.admin_token(key))
        assert principal.role == Role.ADMIN and principal.department is None
    with pytest.raises(loader.LoadError, match="no admin token"):
        loader.admin_token(str(tmp_path / "missing.jwk"))


# -- delivery, against a fake transport --------------------------------------------------------------


class FakeFiling:
    """Filing instances by host: which departments each serves, and what it was sent."""

    def __init__(self, serves: dict[str, str], failures: int = 0) -> None:
        self.serves = serves
        self.failures = failures
        self.received: list[tuple[str, dict[str, Any], dict[str, str]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.failures:
            self.failures -= 1
            raise httpx.ConnectError("connection refused", request=request)
        body = json.loads(request.content)
        self.received.append((request.url.host, body, dict(request.headers)))
        code = body["departments"][0]["code"]
        if self.serves[request.url.host] != code:
            return httpx.Response(421, json={"code": "department_not_served", "detail": "serves another"})
        return httpx.Response(200, json={"departments": 1, "branches": 1, "members": 2})


def test_each_instance_takes_the_departments_it_serves_and_the_others_are_passed_over() -> None:
    fake = FakeFiling({"one": "zwb", "two": "fgw"})
    loads = loader.plan(loader.parse_registry(REGISTRY), {}, ["http://one", "http://two"])
    with httpx.Client(transport=httpx.MockTransport(fake)) as client:
        done = loader.deliver(client, loads, "tok", sleep=lambda _: None)
    assert {code: url for code, (url, _) in done.items()} == {"fgw": "http://two", "zwb": "http://one"}
    assert [(host, body["departments"][0]["code"]) for host, body, _ in fake.received] == [
        ("one", "fgw"),
        ("two", "fgw"),
        ("one", "zwb"),
    ]
    _, _, sent = fake.received[0]
    assert sent["authorization"] == "Bearer tok"
    assert sent["idempotency-key"] == loads[0].idempotency_key


def test_an_unreachable_instance_is_retried() -> None:
    fake = FakeFiling({"fgw": "fgw"}, failures=2)
    loads = loader.plan(loader.parse_registry(REGISTRY)[:1], {"fgw": "http://fgw"}, [])
    waits: list[float] = []
    with httpx.Client(transport=httpx.MockTransport(fake)) as client:
        done = loader.deliver(client, loads, "tok", attempts=3, wait=0.5, sleep=waits.append)
    assert done["fgw"][0] == "http://fgw" and waits == [0.5, 0.5]


def test_an_instance_that_does_not_serve_its_named_department_or_none_that_does_is_an_error() -> None:
    departments = loader.parse_registry(REGISTRY)
    with httpx.Client(transport=httpx.MockTransport(FakeFiling({"a": "zwb", "b": "zwb"}))) as client:
        with pytest.raises(loader.LoadError, match="http://a refused department 'fgw': 421 serves another"):
            loader.deliver(client, loader.plan(departments, {"fgw": "http://a"}, ["http://b"]), "t")
        with pytest.raises(loader.LoadError, match="none of http://a, http://b serves department 'fgw'"):
            loader.deliver(client, loader.plan(departments, {}, ["http://a", "http://b"]), "t")


def test_the_cli_takes_repeated_instance_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VANGUARD_TOKEN", raising=False)
    monkeypatch.setenv("VANGUARD_IDENTITY_KEY", "/run/secrets/identity.jwk")
    command = typer.main.get_command(loader.app)
    params = command.make_context(
        "load_organisation", ["--filing", "fgw=http://f:1", "--filing", "zwb=http://z:1", "--url", "http://u:1"]
    ).params
    assert params["filing"] == ["fgw=http://f:1", "zwb=http://z:1"]
    assert params["url"] == ["http://u:1"]
    assert params["file"] == Path("deploy/organisation.yaml")
    assert (params["token"], params["key"]) == ("", "/run/secrets/identity.jwk")
