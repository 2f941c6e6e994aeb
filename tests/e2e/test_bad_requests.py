"""Requests made to hurt: numbers beyond PostgreSQL's integers, NUL bytes, odd token claims, unsafe
file names. Each gets a 4xx problem saying what is wrong, never a 500; files come back harmless."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from shared.auth import Role
from tests.e2e.running import running_apis, signed_token
from tests.support import headers, token

pytestmark = pytest.mark.e2e

HUGE = 99_999_999_999_999_999_999  # beyond int8
INT4_PLUS_ONE = 2**31


@pytest.fixture(scope="module")
def apis(tmp_path_factory: pytest.TempPathFactory, pg_dsn: str, kafka_bootstrap: str) -> Iterator[dict[str, str]]:
    with running_apis(tmp_path_factory.mktemp("apis"), pg_dsn, kafka_bootstrap) as urls:
        yield urls


def problem(response: httpx.Response, status: int) -> str:
    """The detail of a problem document with this status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()["detail"]


def member() -> dict[str, str]:
    return {"Authorization": f"Bearer {token(Role.MEMBER, 'fgw', 'fgw-b1', subject='m-001')}"}


def upload(apis: dict[str, str], content: bytes, filename: str, content_type: str) -> httpx.Response:
    sent = {**member(), "X-Filename": filename, "Content-Type": content_type}
    return httpx.put(f"{apis['tasking']}/evidence", content=content, headers=sent)


# -- integers ------------------------------------------------------------------------------------

YEAR_FILTERS = [
    ("filing", "/topics"),
    ("filing", "/projects"),
    ("acceptance", "/accepted"),
    ("acceptance", "/commendations"),
    ("acceptance", "/acceptances"),
    ("projection", "/projects"),
]


@pytest.mark.parametrize(("service", "path"), YEAR_FILTERS)
@pytest.mark.parametrize(
    ("year", "wanted"),
    [
        (INT4_PLUS_ONE, "less than or equal to 2100"),
        (HUGE, "less than or equal to 2100"),
        (2101, "less than or equal to 2100"),
        (1999, "greater than or equal to 2000"),
    ],
)
def test_a_year_filter_outside_the_programmes_years_is_refused_naming_the_bounds(
    apis: dict[str, str], service: str, path: str, year: int, wanted: str
) -> None:
    response = httpx.get(f"{apis[service]}{path}", params={"year": year}, headers=headers(Role.AUDITOR))
    assert problem(response, 422) == f"query.year: Input should be {wanted}"


@pytest.mark.parametrize(("service", "path"), YEAR_FILTERS)
def test_a_year_filter_inside_the_programmes_years_is_answered(apis: dict[str, str], service: str, path: str) -> None:
    response = httpx.get(f"{apis[service]}{path}", params={"year": 2100}, headers=headers(Role.AUDITOR))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("suffix", ["", ".html", ".pdf"])
@pytest.mark.parametrize("year", [INT4_PLUS_ONE, HUGE, 1999])
def test_a_casebook_of_a_year_outside_the_programme_is_refused_naming_the_bounds(
    apis: dict[str, str], suffix: str, year: int
) -> None:
    detail = problem(httpx.get(f"{apis['acceptance']}/casebook/{year}{suffix}"), 422)
    assert detail.startswith("path.year: Input should be")
    assert ("2100" if year > 2100 else "2000") in detail


@pytest.mark.parametrize("service", ["filing", "tasking", "inspection", "acceptance"])
def test_an_event_position_beyond_a_bigint_is_refused_and_the_largest_one_is_an_empty_page(
    apis: dict[str, str], service: str
) -> None:
    refused = httpx.get(f"{apis[service]}/events", params={"after": HUGE}, headers=headers(Role.AUDITOR))
    assert problem(refused, 422) == "query.after: Input should be less than or equal to 9223372036854775807"
    last = httpx.get(f"{apis[service]}/events", params={"after": 2**63 - 1}, headers=headers(Role.AUDITOR))
    assert last.status_code == 200, last.text
    assert last.json() == {"events": [], "next_after": 2**63 - 1, "more": False}


@pytest.mark.parametrize(
    ("service", "path", "params", "wanted"),
    [
        ("filing", "/events", {"limit": HUGE}, "query.limit: Input should be less than or equal to 1000"),
        ("inspection", "/checkpoints", {"due_within_days": HUGE}, "query.due_within_days: Input should be less"),
        ("projection", "/departments/fgw/audit-trail", {"limit": HUGE}, "query.limit: Input should be less"),
    ],
)
def test_a_page_size_or_horizon_beyond_its_maximum_is_refused(
    apis: dict[str, str], service: str, path: str, params: dict[str, int], wanted: str
) -> None:
    response = httpx.get(f"{apis[service]}{path}", params=params, headers=headers(Role.AUDITOR))
    assert problem(response, 422).startswith(wanted)


# -- evidence files ------------------------------------------------------------------------------


def test_an_evidence_file_asked_for_by_something_that_is_not_a_sha256_is_refused_saying_so(
    apis: dict[str, str],
) -> None:
    response = httpx.get(f"{apis['tasking']}/evidence/not-a-digest", headers=member())
    assert problem(response, 422) == "'not-a-digest' is not a SHA-256 (64 hexadecimal digits)"


def test_an_evidence_file_asked_for_by_a_nul_byte_is_a_problem_not_a_server_error(apis: dict[str, str]) -> None:
    # the lead's global refusal of control characters may answer first, with its own detail
    response = httpx.get(f"{apis['tasking']}/evidence/%00", headers=member())
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"] == "application/problem+json" and response.json()["detail"]


def test_an_evidence_file_is_found_by_its_sha256_in_capitals_too(apis: dict[str, str]) -> None:
    content = f"走访记录 {uuid.uuid4()}".encode()
    digest = upload(apis, content, "visits.txt", "text/plain").json()["sha256"]
    response = httpx.get(f"{apis['tasking']}/evidence/{digest.upper()}", headers=member())
    assert response.status_code == 200 and response.content == content


@pytest.mark.parametrize("filename", ["a%00b.txt", "a%0Ab.txt", "a%7Fb.txt", "a\tb.txt"])
def test_an_upload_whose_file_name_has_control_characters_is_refused_naming_the_header(
    apis: dict[str, str], filename: str
) -> None:
    detail = problem(upload(apis, b"evidence", filename, "text/plain"), 422)
    # the check of every request's text (shared/api/plaintext.py) answers first; evidence.file_name stands behind it
    assert detail.startswith(("header x-filename contains ", "X-Filename: the file name must not contain control"))


@pytest.mark.parametrize("filename", ["..", "%2E%2E", "a/..", "/", "%2F"])
def test_an_upload_whose_file_name_names_no_file_is_refused_saying_so(apis: dict[str, str], filename: str) -> None:
    response = upload(apis, b"evidence", filename, "text/plain")
    assert problem(response, 422) == "X-Filename: name the file itself (e.g. report.pdf), without folders"


@pytest.mark.parametrize(
    ("filename", "kept"),
    [
        ("..%2F..%2Fetc%2Fpasswd", "passwd"),
        ("../../etc/passwd", "passwd"),
        ("..%5C..%5Cboot.ini", "boot.ini"),
        ("C:%5Cdocs%5C%E8%B5%B0%E8%AE%BF.txt", "走访.txt"),
    ],
)
def test_an_uploaded_file_keeps_only_the_base_name_of_its_file_name(
    apis: dict[str, str], filename: str, kept: str
) -> None:
    content = f"evidence {uuid.uuid4()}".encode()
    uploaded = upload(apis, content, filename, "text/plain")
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["name"] == kept
    download = httpx.get(f"{apis['tasking']}/evidence/{hashlib.sha256(content).hexdigest()}", headers=member())
    assert "/" not in download.headers["content-disposition"] and "\\" not in download.headers["content-disposition"]


def test_a_downloaded_file_name_is_percent_encoded_whole(apis: dict[str, str]) -> None:
    content = f"evidence {uuid.uuid4()}".encode()
    uploaded = upload(apis, content, "%E6%8A%A5%E5%91%8A%20%22final%22%3B%25.pdf", "application/pdf")
    assert uploaded.json()["name"] == '报告 "final";%.pdf'
    download = httpx.get(f"{apis['tasking']}/evidence/{uploaded.json()['sha256']}", headers=member())
    assert download.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''%E6%8A%A5%E5%91%8A%20%22final%22%3B%25.pdf"
    )


@pytest.mark.parametrize(
    ("declared", "served"),
    [
        ("text/html", "application/octet-stream"),
        ("image/svg+xml", "application/octet-stream"),
        ("application/javascript", "application/octet-stream"),
        ("not a media type", "application/octet-stream"),
        ("image/png", "image/png"),
        ("IMAGE/JPEG", "image/jpeg"),
        ("application/pdf; name=x", "application/pdf"),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", None),
    ],
)
def test_a_file_is_served_with_its_type_only_when_that_type_is_on_the_allow_list_and_never_sniffed(
    apis: dict[str, str], declared: str, served: str | None
) -> None:
    content = f"<script>alert({time.time()})</script>".encode()
    uploaded = upload(apis, content, "file", declared)
    assert uploaded.status_code == 201, uploaded.text
    download = httpx.get(f"{apis['tasking']}/evidence/{uploaded.json()['sha256']}", headers=member())
    assert download.headers["content-type"].split(";")[0] == (served or declared)
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith("attachment;")


# -- tokens --------------------------------------------------------------------------------------

READS = {
    "filing": "/topics",
    "tasking": "/members/m-001/tasks",
    "inspection": "/checkpoints",
    "acceptance": "/acceptances",
    "projection": "/projects",
}


@pytest.mark.parametrize("service", sorted(READS))
@pytest.mark.parametrize(
    ("odd", "wanted"),
    [
        ('"exp": 1e400', "the token's 'exp' claim must be a time in seconds since 1970 before the year 10000"),
        (f'"exp": {10**400}', "the token's 'exp' claim must be a time in seconds since 1970 before the year 10000"),
        ('"department": ["fgw"]', "the token's 'department' claim must be text of 1–200 characters, not a list"),
        ('"role": 7', "the token's 'role' claim must name a role ("),
        ('"branch": "fgw\\u0000b1"', "the token's 'branch' claim must be text of 1–200 characters without control"),
    ],
)
def test_a_validly_signed_token_with_a_malformed_claim_is_refused_with_401_naming_the_claim(
    apis: dict[str, str], service: str, odd: str, wanted: str
) -> None:
    claims = (
        f'{{"iss": "vanguard-identity", "aud": "vanguard", "sub": "m-001", "role": "member", '
        f'"exp": {int(time.time()) + 600}, {odd}}}'
    )
    bearer = {"Authorization": f"Bearer {signed_token(claims)}"}
    response = httpx.get(f"{apis[service]}{READS[service]}", headers=bearer)
    assert problem(response, 401).startswith(wanted)
