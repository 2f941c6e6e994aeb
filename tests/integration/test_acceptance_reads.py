"""Who reads what of the acceptance service: panelists read the acceptances of their own panels,
organisers the applications they organise, and a panelist of the project's own branch never its
scores (回避, the rule the panel is appointed by)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi.testclient import TestClient

from services.acceptance.app import AcceptanceApplication
from services.acceptance.config import AcceptanceSettings
from services.acceptance.main import create_app
from shared.auth import Role
from tests.acceptance_seed import CRITERIA, EXPERTS, SYSTEM, applied, filed, graded, scored
from tests.support import TRUST, token

pytestmark = pytest.mark.integration


def panelist(subject: str, department: str | None = None, branch: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(Role.PANELIST, department, branch, subject)}"}


ON_THE_PANEL = panelist("p-1")
OFF_THE_PANEL = panelist("p-9")
ORGANISER = panelist("org-1")
ORGANISER_OF_THE_BRANCH = panelist("org-2", "fgw", "fgw-b1")  # by their token
REGISTERED_IN_THE_BRANCH = panelist("m-002")  # an organiser the registry knows as a member of fgw-b1


@dataclass
class Service:
    client: TestClient
    scored: str  # fgw-b1's project in notice, scored by p-1 of its panel
    applied: str  # fgw-b2's application, no panel yet
    draft: str  # fgw-b2's project, only filed
    graded: str  # fgw-b1's project, concluded

    def read(self, pid: str, who: dict[str, str]) -> httpx.Response:
        return self.client.get(f"/acceptances/{pid}", headers=who)

    def listed(self, who: dict[str, str]) -> set[str]:
        response = self.client.get("/acceptances", headers=who)
        assert response.status_code == 200, response.text
        return {a["project_id"] for a in response.json()}


@pytest.fixture(scope="module")
def service(new_database: Callable[[str], str]) -> Iterator[Service]:
    settings = AcceptanceSettings(
        database_dsn=new_database("acceptance"), token_keys=TRUST, organisers="org-1,org-2,m-002", clock="manual"
    )
    with TestClient(create_app(settings)) as client:
        app: AcceptanceApplication = client.app.state.acceptance  # type: ignore[attr-defined]
        app.register_department("fgw", "市发改委", SYSTEM, "evt-dept-fgw")
        app.enrol_branch("fgw", "fgw-b1", "第一党支部", "s-fgw-1", "王强", SYSTEM, "evt-branch-fgw-b1")
        app.enrol_member("fgw", "fgw-b1", "m-002", "刘莉", SYSTEM, "evt-member-m-002")
        seeded = scored(app), applied(app, branch="fgw-b2"), filed(app, branch="fgw-b2")
        yield Service(client, *seeded, graded(app))  # graded last: it moves the clock on


def refused(response: httpx.Response, status: int, *phrases: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    for phrase in phrases:
        assert phrase in response.json()["detail"], response.json()["detail"]


def test_a_panelist_reads_the_acceptance_of_their_own_panel_with_its_scores(service: Service) -> None:
    response = service.read(service.scored, ON_THE_PANEL)
    assert response.status_code == 200, response.text
    assert [s["panelist"] for s in response.json()["scores"]] == ["p-1"]
    assert service.listed(ON_THE_PANEL) == {service.scored, service.graded}


@pytest.mark.parametrize("project", ["scored", "applied", "draft"])
def test_a_panelist_may_not_read_an_acceptance_whose_panel_they_are_not_on(service: Service, project: str) -> None:
    refused(
        service.read(getattr(service, project), OFF_THE_PANEL),
        403,
        "you (p-9) are not on this project's panel; a panelist reads the acceptances of their own panels only",
    )


def test_a_panelist_on_no_panel_lists_nothing(service: Service) -> None:
    assert service.listed(OFF_THE_PANEL) == set()


def test_an_organiser_reads_applications_but_not_drafts(service: Service) -> None:
    assert service.read(service.applied, ORGANISER).status_code == 200
    refused(
        service.read(service.draft, ORGANISER),
        403,
        f"project {service.draft} has not applied for acceptance (it is filed); organisers read applications only",
    )
    assert service.listed(ORGANISER) == {service.scored, service.applied, service.graded}


def test_an_organiser_sees_the_scores_of_a_project_of_another_branch(service: Service) -> None:
    response = service.read(service.scored, ORGANISER)
    assert response.status_code == 200, response.text
    assert [s["panelist"] for s in response.json()["scores"]] == ["p-1"]
    assert "scores_withheld" not in response.json()


@pytest.mark.parametrize(
    "who", [ORGANISER_OF_THE_BRANCH, REGISTERED_IN_THE_BRANCH], ids=["by their token", "by the registry"]
)
def test_an_organiser_of_the_projects_own_branch_does_not_see_its_scores(service: Service, who: dict[str, str]) -> None:
    for view in (
        service.read(service.scored, who).json(),
        next(a for a in service.client.get("/acceptances", headers=who).json() if a["project_id"] == service.scored),
    ):
        assert view["scores"] == []
        assert view["scores_withheld"] == (
            "回避: you belong to branch fgw-b1 of fgw, the project's own branch; its scores are not shown to you"
        )
        assert view["application"]["summary"]  # the rest is there to organise it


def test_an_organiser_of_the_projects_own_branch_sees_its_grade_but_not_the_panelists_scores(
    service: Service,
) -> None:
    view = service.read(service.graded, ORGANISER_OF_THE_BRANCH).json()
    assert view["scores"] == [] and view["scores_withheld"].startswith("回避")
    assert (view["result"]["grade"], view["result"]["score"]) == ("good", 80.0)
    assert view["result"]["panel"] == [{"id": e["id"], "name": e["name"]} for e in EXPERTS]
    seen = service.read(service.graded, ORGANISER).json()["result"]["panel"]
    assert [p["weighted"] for p in seen] == [80.0, 80.0, 80.0]


def test_the_projects_own_secretary_still_reads_it(service: Service) -> None:
    own = {"Authorization": f"Bearer {token(Role.SECRETARY, 'fgw', 'fgw-b2', 's-fgw-2')}"}
    assert service.read(service.draft, own).status_code == 200
    assert service.listed(own) == {service.applied, service.draft}


def test_a_panelist_registered_in_the_projects_own_branch_after_appointment_may_not_score_it(
    service: Service,
) -> None:
    app: AcceptanceApplication = service.client.app.state.acceptance  # type: ignore[attr-defined]
    app.enrol_member("fgw", "fgw-b1", "p-3", "王主任", SYSTEM, "evt-member-p-3")
    before = app.acceptance(service.scored).version
    response = service.client.post(
        f"/acceptances/{service.scored}/scores",
        json={"scores": dict.fromkeys(CRITERIA, 99), "comment": ""},
        headers=panelist("p-3"),
    )
    refused(
        response,
        403,
        "conflict of interest (回避): you (p-3) belong to branch fgw-b1 of fgw, the project's own branch; "
        "you may not score it",
    )
    assert app.acceptance(service.scored).version == before
