"""What PUT /evidence answers is accepted as it is in a progress report's evidence: a client sends
the reply back without picking fields out of it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.integration.test_tasking_api import act, create_task, member, ok, open_board, secretary, tasking

pytestmark = pytest.mark.integration

CONTENT = "走访记录:园区20家企业,堵点8个".encode()


@pytest.fixture
def board(new_database: Callable[[str], str]) -> Iterator[tuple[TestClient, str]]:
    with tasking(new_database) as (client, app, _):
        yield client, open_board(app)


def upload(
    client: TestClient, name: str, media_type: str = "text/plain", who: dict[str, str] | None = None
) -> dict[str, Any]:
    headers = {**(who or member()), "X-Filename": quote(name), "Content-Type": media_type}
    return ok(client.put("/evidence", content=CONTENT, headers=headers), 201)


def test_the_reply_of_an_upload_is_accepted_as_evidence_of_progress_as_it_is(board: tuple[TestClient, str]) -> None:
    client, pid = board
    reply = upload(client, "走访记录.txt")
    assert set(reply) == {"kind", "sha256", "name", "size", "media_type"}

    task = act(client, create_task(client, pid), "progress", member(), percent=40, evidence=[reply])

    assert task["reports"] == [{"percent": 40, "note": "", "evidence": [reply]}]


def test_a_reply_for_a_file_stored_under_another_name_reports_the_stored_file(board: tuple[TestClient, str]) -> None:
    client, pid = board
    first = upload(client, "走访记录.txt")
    again = upload(client, "copy.bin", "application/octet-stream", secretary())
    assert (again["sha256"], again["name"]) == (first["sha256"], "copy.bin")

    task = act(client, create_task(client, pid), "progress", member(), percent=40, evidence=[again])

    assert task["reports"][0]["evidence"] == [first]


def test_a_reply_whose_size_is_not_the_files_is_refused(board: tuple[TestClient, str]) -> None:
    client, pid = board
    reply = upload(client, "走访记录.txt")
    task = create_task(client, pid)

    response = client.post(
        f"/tasks/{task['id']}/progress",
        json={"expected_version": task["version"], "percent": 40, "evidence": [{**reply, "size": 7}]},
        headers=member(),
    )

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == (
        f"evidence 1: the file with SHA-256 {reply['sha256']} has {len(CONTENT)} bytes, not 7"
    )
