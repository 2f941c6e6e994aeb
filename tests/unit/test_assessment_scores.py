"""考核评价 scores by the 2026-v1 scheme, computed by hand: branches (未立项, red time and a late
rectification, 优秀 with a provincial commendation and a brand), a secretary, a department; stars,
ranks with a tie, and properties of totals and ranks."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.projection.assessment.facts import (
    Acceptance,
    Adjustment,
    BranchFacts,
    Brand,
    ColourChange,
    Commendation,
    DepartmentFacts,
    Inspection,
    Milestone,
    Objection,
    ProjectApproval,
    Rectification,
    Review,
    Revision,
    SecretaryFacts,
    TopicPosed,
)
from services.projection.assessment.scheme import SCHEMES_DIR, load
from services.projection.assessment.score import (
    NOT_FILED,
    Score,
    adjustment_room,
    rank,
    score_branch,
    score_department,
    score_secretary,
    stars,
)
from shared.vocabulary import Colour, CommendationLevel, Grade, Rating

SCHEME = load(SCHEMES_DIR / "2026-v1.yaml")
DENSE = dataclasses.replace(SCHEME, ties="dense")
D = dt.date
AT = dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)

UNFILED = BranchFacts(
    "fgw-b3", "fgw", 2026, project=None, inspections=(Inspection(Rating.ON_TRACK, D(2026, 5, 1), ("x1",)),)
)
RED = BranchFacts(
    "fgw-b2",
    "fgw",
    2026,
    project=ProjectApproval("p-2", D(2026, 4, 15), ("e1",)),  # after 31 March: late, +4
    milestones=(
        Milestone("m1", D(2026, 3, 31), D(2026, 3, 30), ("e2",)),  # +2
        Milestone("m2", D(2026, 6, 30), D(2026, 7, 20), ("e3",)),  # -1
    ),
    inspections=(
        Inspection(Rating.LAGGING, D(2026, 6, 1), ("e4",)),
        Inspection(Rating.AT_RISK, D(2026, 7, 1), ("e5",)),
    ),
    colour_changes=(
        ColourChange(Colour.YELLOW, AT, ("e6",)),  # -1
        ColourChange(Colour.RED, AT, ("e7",)),  # -2
        ColourChange(Colour.GREEN, AT, ("e8",)),  # nothing
    ),
    rectifications=(Rectification("r1", D(2026, 8, 15), D(2026, 8, 20), D(2026, 8, 25), ("e9", "e10")),),  # -2
    acceptance=Acceptance(Grade.PASS, ("e11",)),  # +6
)
EXCELLENT = BranchFacts(
    "fgw-b1",
    "fgw",
    2026,
    project=ProjectApproval("p-1", D(2026, 3, 10), ("e20",)),  # +10
    milestones=(
        Milestone("m1", D(2026, 4, 30), D(2026, 4, 28), ("e21",)),
        Milestone("m2", D(2026, 9, 30), D(2026, 9, 30), ("e22",)),
    ),
    inspections=(
        Inspection(Rating.ON_TRACK, D(2026, 5, 2), ("e23",)),
        Inspection(Rating.ON_TRACK, D(2026, 10, 2), ("e24",)),
    ),
    rectifications=(Rectification("r2", D(2026, 6, 10), D(2026, 6, 5), D(2026, 6, 8), ("e25", "e26")),),  # +1
    acceptance=Acceptance(Grade.EXCELLENT, ("e27",)),  # +20
    objections=(Objection(D(2026, 11, 3), D(2026, 11, 5), ("e28", "e29")), Objection(D(2026, 11, 4), None, ("e30",))),
    commendations=(Commendation(CommendationLevel.PROVINCIAL, D(2026, 12, 1), ("e31",)),),  # +10
    brand=Brand("红色帮办", ("e32",)),  # +5
)
ZWB_1 = BranchFacts(
    "zwb-b1",
    "zwb",
    2026,
    ProjectApproval("p-3", D(2026, 2, 1), ("z1",)),
    milestones=(Milestone("m1", D(2026, 5, 1), D(2026, 5, 1), ("z2",)),),
)
ZWB_2 = BranchFacts(
    "zwb-b2",
    "zwb",
    2026,
    ProjectApproval("p-4", D(2026, 3, 1), ("z3",)),  # +10
    milestones=(Milestone("m1", D(2026, 5, 1), D(2026, 5, 2), ("z4",)),),  # -1
    inspections=(
        Inspection(Rating.LAGGING, D(2026, 5, 3), ("z5",)),
        Inspection(Rating.AT_RISK, D(2026, 6, 3), ("z6",)),
    ),
    colour_changes=(ColourChange(Colour.YELLOW, AT, ("z7",)), ColourChange(Colour.RED, AT, ("z8",))),  # -3
)


def points(score: Score) -> dict[str, Decimal]:
    return {line.code: line.points for line in score.lines if line.points}


def test_a_branch_without_a_project_is_flagged_unfiled_and_scores_no_project_line() -> None:
    score = score_branch(SCHEME, UNFILED)
    assert score.flags == (NOT_FILED,)
    assert points(score) == {}
    assert score.total == Decimal(0)
    assert score.line("inspection_rated").count == 0 and score.line("inspection_rated").event_ids == ()
    assert [line.code for line in score.lines] == [line.code for line in SCHEME.branch.lines]
    assert (score.scheme_version, score.scheme_hash) == ("2026-v1", SCHEME.content_hash)
    assert stars(SCHEME, score) == 1


def test_a_branch_with_red_time_and_a_late_rectification_loses_points_for_each() -> None:
    score = score_branch(SCHEME, RED)
    assert points(score) == {
        "project_approved_late": 4,
        "milestone_on_time": 2,
        "milestone_late": -1,
        "inspection_rated": -3,
        "warning": -3,
        "rectification_overdue": -2,
        "acceptance_grade": 6,
    }
    assert score.total == Decimal(3) and score.flags == ()
    assert score.line("warning").event_ids == ("e6", "e7") and score.line("warning").count == 2
    assert score.line("rectification_overdue").event_ids == ("e9", "e10")
    assert score.line("project_approved").event_ids == () and score.line("project_approved_late").event_ids == ("e1",)
    assert stars(SCHEME, score) == 2


def test_an_excellent_branch_with_a_provincial_commendation_and_a_brand_earns_five_stars() -> None:
    score = score_branch(SCHEME, EXCELLENT)
    assert points(score) == {
        "project_approved": 10,
        "milestone_on_time": 4,
        "inspection_rated": 2,
        "rectification_on_time": 1,
        "acceptance_grade": 20,
        "objection_answered": Decimal("0.5"),
        "commendation": 10,
        "brand": 5,
    }
    assert score.total == Decimal("52.5")
    assert score.line("objection_answered").event_ids == ("e28", "e29")
    assert score.line("commendation").label.startswith("获得表彰") and score.line("commendation").event_ids == ("e31",)
    assert score.line("brand").event_ids == ("e32",)
    assert stars(SCHEME, score) == 5


def test_an_open_rectification_is_overdue_only_once_its_deadline_has_passed() -> None:
    facts = BranchFacts(
        "b",
        "d",
        2026,
        ProjectApproval("p", D(2026, 1, 5), ("a",)),
        rectifications=(Rectification("r", D(2026, 8, 15), D(2026, 8, 10), None, ("r1",)),),
    )
    assert score_branch(SCHEME, facts, as_of=D(2026, 8, 15)).line("rectification_overdue").count == 0
    assert score_branch(SCHEME, facts, as_of=D(2026, 8, 16)).line("rectification_overdue").event_ids == ("r1",)


def test_approved_adjustments_show_as_their_own_lines_within_the_schemes_room() -> None:
    adjustments = (
        Adjustment(Decimal(3), "抗洪抢险特殊贡献", ("j1", "j2")),
        Adjustment(Decimal(-4), "违纪扣分", ("j3",)),
    )
    score = score_branch(SCHEME, dataclasses.replace(RED, adjustments=adjustments))
    assert score.total == Decimal(2)
    assert [(line.label, line.points, line.event_ids) for line in score.lines[-2:]] == [
        ("加减分:抗洪抢险特殊贡献", 3, ("j1", "j2")),
        ("加减分:违纪扣分", -4, ("j3",)),
    ]
    assert adjustment_room(SCHEME, adjustments) == (Decimal(2), Decimal(6))


def test_a_secretary_scores_their_branch_plus_their_own_timeliness() -> None:
    branch = score_branch(SCHEME, RED)
    facts = SecretaryFacts(
        "s-fgw-2",
        "fgw-b2",
        "fgw",
        2026,
        revisions=(Revision(D(2026, 3, 20), D(2026, 4, 5), ("e40", "e41")),),  # 16 days > 10: -2
        rectifications=RED.rectifications,  # answered 20 August, deadline 15 August: -1
    )
    score = score_secretary(SCHEME, facts, branch)
    assert points(score) == {"branch_result": 3, "revision_late": -2, "rectification_answered_late": -1}
    assert score.total == Decimal(0)
    assert score.line("branch_result").event_ids == branch.event_ids
    assert "e7" in score.line("branch_result").event_ids
    assert score.line("revision_late").event_ids == ("e40", "e41")
    with pytest.raises(ValueError, match="scored on branch fgw-b2"):
        score_secretary(SCHEME, facts, score_branch(SCHEME, EXCELLENT))


def test_a_department_scores_its_branches_mean_shares_and_committee_timeliness() -> None:
    branches = [(b, score_branch(SCHEME, b)) for b in (EXCELLENT, RED, UNFILED)]
    facts = DepartmentFacts(
        "fgw",
        2026,
        topics=(TopicPosed("t1", D(2026, 2, 20), ("e50",)), TopicPosed("t2", D(2026, 3, 5), ("e51",))),
        reviews=(
            Review("p-1", D(2026, 3, 1), D(2026, 3, 5), ("e52",)),
            Review("p-2", D(2026, 3, 25), D(2026, 4, 15), ("e53",)),
        ),
    )
    score = score_department(SCHEME, facts, branches)
    assert points(score) == {
        "branch_mean": Decimal("18.50"),  # (52.5 + 3 + 0) / 3
        "approved_share": Decimal("6.67"),  # 2 of 3
        "accepted_share": Decimal("6.67"),  # 优秀 and 合格
        "topics_posed_on_time": 3,
        "review_on_time": Decimal("0.5"),
        "review_late": -1,
    }
    assert score.total == Decimal("34.34")
    assert score.line("approved_share").event_ids == ("e20", "e1")
    assert score.line("accepted_share").event_ids == ("e27", "e11")
    assert score.line("topics_posed_on_time").event_ids == ("e50",)
    assert score.line("review_late").event_ids == ("e53",)


def test_a_committee_that_posed_no_topic_by_the_deadline_is_late() -> None:
    score = score_department(SCHEME, DepartmentFacts("zwb", 2026), [(ZWB_1, score_branch(SCHEME, ZWB_1))])
    assert score.line("topics_posed_late").points == -3
    assert score_department(SCHEME, DepartmentFacts("zwb", 2026), [], as_of=D(2026, 2, 28)).total == 0


def test_ranks_share_a_place_on_a_tie_by_the_schemes_rule_within_city_and_department() -> None:
    scores = [score_branch(SCHEME, b) for b in (UNFILED, ZWB_2, EXCELLENT, RED, ZWB_1)]
    assert [(s.subject_id, s.total) for s in scores] == [
        ("fgw-b3", 0),
        ("zwb-b2", 3),
        ("fgw-b1", Decimal("52.5")),
        ("fgw-b2", 3),
        ("zwb-b1", 12),
    ]
    assert [(r.subject_id, r.city, r.in_department) for r in rank(SCHEME, scores)] == [
        ("fgw-b1", 1, 1),
        ("zwb-b1", 2, 1),
        ("fgw-b2", 3, 2),
        ("zwb-b2", 3, 2),
        ("fgw-b3", 5, 3),
    ]
    assert [r.city for r in rank(DENSE, scores)] == [1, 2, 3, 3, 4]
    assert [stars(SCHEME, s) for s in scores] == [1, 2, 5, 2, 3]


amounts = st.decimals(min_value=-50, max_value=200, places=1, allow_nan=False, allow_infinity=False)


def made(subject: str, department: str, total: Decimal) -> Score:
    return Score("branch", subject, department, 2026, Decimal(0), (), total, (), "v", "h")


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), amounts), max_size=20), st.booleans())
def test_ranks_follow_totals_and_the_tie_rule(entries: list[tuple[str, Decimal]], dense: bool) -> None:
    scheme = DENSE if dense else SCHEME
    scores = [made(f"b{i:02}", department, total) for i, (department, total) in enumerate(entries)]
    ranks = rank(scheme, scores)
    for r in ranks:
        above = {s.total for s in scores if s.total > r.total}
        expected = len(above) + 1 if dense else sum(s.total > r.total for s in scores) + 1
        assert r.city == expected
    assert [(-r.total, r.subject_id) for r in ranks] == sorted((-r.total, r.subject_id) for r in ranks)


dates = st.dates(min_value=D(2026, 1, 1), max_value=D(2026, 12, 31))
ids = st.tuples(st.text("abcdef0123456789", min_size=1, max_size=6))


@given(
    project=st.none() | st.builds(ProjectApproval, st.just("p"), dates, ids),
    milestones=st.lists(st.builds(Milestone, st.just("m"), dates, st.none() | dates, ids), max_size=5),
    inspections=st.lists(st.builds(Inspection, st.sampled_from(Rating), dates, ids), max_size=5),
    colours=st.lists(st.builds(ColourChange, st.sampled_from(Colour), st.just(AT), ids), max_size=5),
    rectifications=st.lists(
        st.builds(Rectification, st.just("r"), dates, st.none() | dates, st.none() | dates, ids), max_size=4
    ),
    acceptance=st.none() | st.builds(Acceptance, st.sampled_from(Grade), ids),
    commendations=st.lists(st.builds(Commendation, st.sampled_from(CommendationLevel), dates, ids), max_size=3),
    as_of=dates,
)
def test_a_branch_total_is_its_base_plus_its_lines_and_every_event_behind_a_point_is_listed(
    project: ProjectApproval | None,
    milestones: list[Milestone],
    inspections: list[Inspection],
    colours: list[ColourChange],
    rectifications: list[Rectification],
    acceptance: Acceptance | None,
    commendations: list[Commendation],
    as_of: dt.date,
) -> None:
    facts = BranchFacts(
        "b",
        "d",
        2026,
        project,
        tuple(milestones),
        tuple(inspections),
        tuple(colours),
        tuple(rectifications),
        acceptance,
        commendations=tuple(commendations),
    )
    score = score_branch(SCHEME, facts, as_of)
    assert score.total == SCHEME.branch.base + sum(line.points for line in score.lines)
    for line in score.lines:
        assert line.count or (line.points == 0 and line.event_ids == ())
    if project is None:
        assert points(score) == {} and score.flags == (NOT_FILED,)
    else:
        assert score.line("not_filed").count == 0
        assert score.line("milestone_on_time").count + score.line("milestone_late").count <= len(milestones)
        assert score.line("inspection_rated").count == len(inspections)
