"""Acceptances brought to a stage by calling the acceptance application as its consumer and its
users would: filed, applied, in public notice, scored. For tests that need one without the other services."""

from __future__ import annotations

import datetime as dt
import uuid
from uuid import UUID

from services.acceptance.app import AcceptanceApplication
from shared.auth import Principal, Role

SYSTEM = {"id": "filing", "role": "system"}  # the actor as other services' events carry it
ADMIN = Principal("admin-1", Role.ADMIN)  # an admin organises panels
TARGET = "办理时限压缩至1个工作日"
EXPERTS = [
    {"id": "p-1", "name": "张教授", "department": "jggw"},
    {"id": "p-2", "name": "李处长", "department": "sw", "branch": "sw-b2"},
    {"id": "p-3", "name": "王主任", "department": "jggw"},
]
CRITERIA = ("target_achievement", "innovation", "main_work_effect", "member_participation", "public_response")


def filed(app: AcceptanceApplication, department: str = "fgw", branch: str = "fgw-b1") -> str:
    """A project just filed (a draft): its acceptance record exists, nothing more."""
    pid = str(uuid.uuid4())
    app.file_project(
        department,
        branch,
        pid,
        str(uuid.uuid4()),
        2026,
        "business_environment",
        f"{branch}的项目",
        "网上申报、线上审批",
        [TARGET],
        {"id": "m-001", "name": "李扬"},
        SYSTEM,
        f"evt-file-{pid}",
    )
    return pid


def applied(app: AcceptanceApplication, department: str = "fgw", branch: str = "fgw-b1") -> str:
    """A project approved, its one milestone met, its branch's application made."""
    pid = filed(app, department, branch)
    plan = [{"id": "m1", "title": "调研", "due": "2026-03-31", "deliverable": "调研报告"}]
    app.approve_project(pid, f"{department}-2026-1", "", plan, SYSTEM, f"evt-approve-{pid}")
    app.milestone_met(pid, "m1", "2026-03-30", {"title": "调研报告"}, SYSTEM, f"evt-met-{pid}")
    app.apply(
        Principal(f"s-{branch}", Role.SECRETARY, department, branch),
        UUID(pid),
        app.acceptance(pid).version,
        "建立服务队,上门服务企业120家",
        [{"target": TARGET, "result": "已压缩至1个工作日"}],
        [{"url": "https://example.org/report.pdf", "title": "总结报告"}],
        None,
    )
    return pid


def in_notice(app: AcceptanceApplication, department: str = "fgw", branch: str = "fgw-b1") -> str:
    """An application in its public notice (公示), open on the application's clock."""
    pid = applied(app, department, branch)
    app.open_notice(ADMIN, UUID(pid), app.acceptance(pid).version, None, None)
    return pid


def scored(app: AcceptanceApplication, department: str = "fgw", branch: str = "fgw-b1") -> str:
    """In public notice, with a panel of EXPERTS appointed and scoring by p-1."""
    pid = in_notice(app, department, branch)
    app.appoint_panel(ADMIN, UUID(pid), app.acceptance(pid).version, EXPERTS, None)
    app.score(Principal("p-1", Role.PANELIST), UUID(pid), dict.fromkeys(CRITERIA, 90), "评审意见", None)
    return pid


def graded(app: AcceptanceApplication, department: str = "fgw", branch: str = "fgw-b1") -> str:
    """Scored by the whole panel, the notice run out (the application's clock must be manual), concluded."""
    pid = in_notice(app, department, branch)
    app.appoint_panel(ADMIN, UUID(pid), app.acceptance(pid).version, EXPERTS, None)
    for expert in EXPERTS:
        app.score(Principal(expert["id"], Role.PANELIST), UUID(pid), dict.fromkeys(CRITERIA, 80), "", None)
    app.set_clock(ADMIN, app.now() + dt.timedelta(days=15))
    app.conclude(ADMIN, UUID(pid), app.acceptance(pid).version, None)
    return pid
