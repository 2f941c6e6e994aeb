"""节点督查: the supervision of an approved project's milestones (节点) by the organs' work committee.

Pure domain: no I/O, no clock and no authorisation of its own. Commands take `now` (an aware
datetime in the programme's timezone), check the rules, then trigger events whose methods only
change state. After every command the warning colour is assessed again; when it changes, the
aggregate records ColourChanged, so its whole history stays. Commands driven by other services'
events or by the scheduler answer False instead of failing when they no longer apply.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from services.inspection.ladder import AWAITING_ANSWER, ON_TRACK, assess
from services.inspection.vocabulary import RATING_LABELS, Colour, OrderState, Rating
from shared.domain import VanguardAggregate, check, checked_date, derived_id, require, text
from shared.errors import InvalidInput, NotFound

MAX_TITLE = 200
MAX_TEXT = 5_000
MAX_ITEMS = 50


def supervision_id(project_id: UUID | str) -> UUID:
    return derived_id("supervision", "inspection", str(project_id))


def _text(value: str, what: str, limit: int = MAX_TEXT) -> str:
    return text(value, what, limit)


def _date(value: Any, what: str) -> dt.date:
    try:
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{what} must be a date like 2026-06-30, not '{value}'") from None


def deliverable_of(value: object) -> dict[str, str]:
    """A milestone's deliverable as tasking sent it: {"title", "link"}. Events recorded before this
    kept it as the text of a Python dict (or a bare title): read those back the same way."""
    if isinstance(value, str) and value.startswith("{"):
        with contextlib.suppress(ValueError, SyntaxError, MemoryError, RecursionError):
            value = ast.literal_eval(value)
    if isinstance(value, dict):
        return {"title": str(value.get("title", "")), "link": str(value.get("link", ""))}
    return {"title": str(value or ""), "link": ""}


def _plan(milestones: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The approved plan as filing published it, checked for what supervision relies on."""
    plan: list[dict[str, str]] = []
    for n, m in enumerate(milestones, start=1):
        mid = _text(str(m.get("id", "")), f"milestone {n}: id", 32)
        check(mid not in {p["id"] for p in plan}, f"milestone {n}: id '{mid}' is used twice")
        plan.append(
            {
                "id": mid,
                "title": str(m.get("title", "")),
                "deliverable": str(m.get("deliverable", "")),
                "due": _date(m.get("due"), f"milestone {n}: due").isoformat(),
            }
        )
    return plan


def _checkpoint(milestone: dict[str, str]) -> dict[str, Any]:
    return {
        "milestone_id": milestone["id"],
        "title": milestone["title"],
        "due": milestone["due"],
        "deliverable": milestone["deliverable"],
        "met_on": None,
        "met_deliverable": None,
        "due_soon": False,
        "overdue": False,
        "rating": None,
        "progress": {},
    }


class Supervision(VanguardAggregate):
    """节点督查: one approved project's checkpoints, inspections, rectification orders and colour."""

    @event("Scheduled")
    def __init__(
        self,
        department: str,
        branch: str | None,
        project_id: str,
        record_no: str,
        title: str,
        milestones: list[dict[str, str]],
        at: str,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.department = department
        self.branch = branch
        self.project_id = project_id
        self.record_no = record_no
        self.title = title
        self.checkpoints: dict[str, dict[str, Any]] = {m["id"]: _checkpoint(m) for m in milestones}
        self.known_milestones = set(self.checkpoints)  # ids are never reused, so an unknown id is yet to come
        self.inspections: list[dict[str, Any]] = []
        self.rectifications: dict[str, dict[str, Any]] = {}
        self.colour = Colour.GREEN.value
        self.colour_history = [{"colour": self.colour, "previous": None, "at": at, "reasons": [ON_TRACK]}]
        self.closed = False
        self.close_reason: str | None = None
        self._remember(request_id)

    @classmethod
    def schedule(
        cls,
        department: str,
        branch: str | None,
        project_id: str,
        record_no: str,
        title: str,
        milestones: list[dict[str, Any]],
        now: dt.datetime,
        actor: dict[str, str],
        request_id: str | None,
    ) -> Supervision:
        """立项备案 → 节点督查: schedule a checkpoint for every milestone of an approved project."""
        return cls._create(
            cls.Scheduled,
            id=supervision_id(project_id),
            department=department,
            branch=branch,
            project_id=str(project_id),
            record_no=record_no,
            title=title,
            milestones=_plan(milestones),
            at=now.isoformat(),
            actor=actor,
            request_id=request_id,
        )

    # -- what other services report --------------------------------------------------------

    def replan(
        self, milestones: list[dict[str, Any]], now: dt.datetime, actor: dict[str, str], request_id: str | None
    ) -> bool:
        """A milestone change was approved: met checkpoints stay, unmet removed ones go, new ones come;
        a due date moved to today or later clears that checkpoint's warnings."""
        if self.closed:
            return False
        plan = _plan(milestones)
        wanted = {m["id"]: m for m in plan}
        dropped = [mid for mid, c in self.checkpoints.items() if mid not in wanted and not c["met_on"]]
        cleared = [
            mid
            for mid, m in wanted.items()
            if (c := self.checkpoints.get(mid))
            and not c["met_on"]
            and (c["due_soon"] or c["overdue"])
            and m["due"] != c["due"]
            and dt.date.fromisoformat(m["due"]) >= now.date()
        ]
        self._replanned(
            project_id=self.project_id,
            milestones=plan,
            dropped=dropped,
            cleared=cleared,
            actor=actor,
            request_id=request_id,
        )
        self._recolour(now, actor, request_id)
        return True

    @event("Replanned")
    def _replanned(
        self,
        project_id: str,
        milestones: list[dict[str, str]],
        dropped: list[str],
        cleared: list[str],
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        for mid in dropped:
            del self.checkpoints[mid]
        for m in milestones:
            if m["id"] in self.checkpoints:
                self.checkpoints[m["id"]].update(title=m["title"], due=m["due"], deliverable=m["deliverable"])
            else:
                self.checkpoints[m["id"]] = _checkpoint(m)
            self.known_milestones.add(m["id"])
        for mid in cleared:
            self.checkpoints[mid].update(due_soon=False, overdue=False)
        self._remember(request_id)

    def close(self, reason: str, actor: dict[str, str], request_id: str | None) -> bool:
        """The project was withdrawn: supervision ends, its history stays."""
        if self.closed:
            return False
        self._closed(project_id=self.project_id, reason=str(reason), actor=actor, request_id=request_id)
        return True

    @event("Closed")
    def _closed(self, project_id: str, reason: str, actor: dict[str, str], request_id: str | None) -> None:
        self.closed = True
        self.close_reason = reason
        self._remember(request_id)

    def milestone_met(
        self,
        milestone_id: str,
        met_on: str,
        deliverable: dict[str, str] | str,
        now: dt.datetime,
        actor: dict[str, str],
        request_id: str | None,
    ) -> bool:
        checkpoint = self.checkpoints.get(milestone_id)
        if self.closed or checkpoint is None or checkpoint["met_on"]:
            return False
        met = _date(met_on, "met_on")
        self._milestone_met(
            project_id=self.project_id,
            milestone_id=milestone_id,
            met_on=met.isoformat(),
            deliverable=deliverable_of(deliverable),
            late=met > dt.date.fromisoformat(checkpoint["due"]),
            actor=actor,
            request_id=request_id,
        )
        self._recolour(now, actor, request_id)
        return True

    @event("MilestoneMet")
    def _milestone_met(
        self,
        project_id: str,
        milestone_id: str,
        met_on: str,
        deliverable: dict[str, str] | str,
        late: bool,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.checkpoints[milestone_id].update(met_on=met_on, met_deliverable=deliverable_of(deliverable))
        self._remember(request_id)

    def progress_reported(
        self,
        milestone_id: str,
        task_id: str,
        percent: int,
        note: str,
        now: dt.datetime,
        actor: dict[str, str],
        request_id: str | None,
    ) -> bool:
        if self.closed or milestone_id not in self.checkpoints:
            return False
        check(0 <= int(percent) <= 100, f"percent must be 0–100, not {percent}")
        self._progress(
            project_id=self.project_id,
            milestone_id=milestone_id,
            task_id=str(task_id),
            percent=int(percent),
            note=str(note),
            actor=actor,
            request_id=request_id,
        )
        self._recolour(now, actor, request_id)
        return True

    @event("ProgressReported")
    def _progress(
        self,
        project_id: str,
        milestone_id: str,
        task_id: str,
        percent: int,
        note: str,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.checkpoints[milestone_id]["progress"][task_id] = percent
        self._remember(request_id)

    # -- what inspectors and branches do ---------------------------------------------------------

    def record_inspection(
        self,
        milestone_id: str,
        rating: str,
        findings: str,
        rectification: dict[str, Any] | None,
        now: dt.datetime,
        actor: dict[str, str],
        request_id: str | None,
    ) -> tuple[str, str | None]:
        """An inspection at a milestone, with a rating, findings and, if needed, a rectification order."""
        require(not self.closed, "the project was withdrawn; its supervision is closed")
        check(
            milestone_id in self.checkpoints,
            f"the project has no milestone '{milestone_id}'; it has: {', '.join(self.checkpoints)}",
        )
        try:
            rating = Rating(rating).value
        except ValueError:
            codes = ", ".join(f"{r.value} ({RATING_LABELS[r]})" for r in Rating)
            raise InvalidInput(f"unknown rating '{rating}'; use one of: {codes}") from None
        findings = _text(findings, "findings")
        inspection_id = f"i{len(self.inspections) + 1}"
        order_id = None
        if rectification is not None:
            items = list(rectification.get("items") or [])
            check(0 < len(items) <= MAX_ITEMS, f"a rectification order needs 1–{MAX_ITEMS} items")
            items = [_text(i, f"rectification item {n}") for n, i in enumerate(items, start=1)]
            deadline = checked_date(rectification.get("deadline"), "the rectification deadline")
            check(
                deadline >= now.date(), f"the rectification deadline {deadline} has passed; give {now.date()} or later"
            )
            order_id = f"r{len(self.rectifications) + 1}"
        self._inspected(
            project_id=self.project_id,
            inspection_id=inspection_id,
            milestone_id=milestone_id,
            rating=rating,
            findings=findings,
            order_id=order_id,
            at=now.isoformat(),
            actor=actor,
            request_id=request_id,
        )
        if order_id is not None:
            self._ordered(
                project_id=self.project_id,
                order_id=order_id,
                milestone_id=milestone_id,
                inspection_id=inspection_id,
                items=items,
                deadline=deadline.isoformat(),
                actor=actor,
                request_id=request_id,
                at=now.isoformat(),
            )
        self._recolour(now, actor, request_id)
        return inspection_id, order_id

    @event("InspectionRecorded")
    def _inspected(
        self,
        project_id: str,
        inspection_id: str,
        milestone_id: str,
        rating: str,
        findings: str,
        order_id: str | None,
        at: str,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.inspections.append(
            {
                "inspection_id": inspection_id,
                "milestone_id": milestone_id,
                "rating": rating,
                "findings": findings,
                "order_id": order_id,
                "at": at,
                "inspector": dict(actor),
                "request_id": request_id,
            }
        )
        self.checkpoints[milestone_id]["rating"] = rating
        self._remember(request_id)

    @event("RectificationOrdered")
    def _ordered(
        self,
        project_id: str,
        order_id: str,
        milestone_id: str,
        inspection_id: str,
        items: list[str],
        deadline: str,
        actor: dict[str, str],
        request_id: str | None,
        at: str | None = None,  # the programme time it was ordered (older events: when recorded)
    ) -> None:
        self.rectifications[order_id] = {
            "order_id": order_id,
            "milestone_id": milestone_id,
            "inspection_id": inspection_id,
            "items": list(items),
            "deadline": deadline,
            "state": OrderState.OPEN.value,
            "answers": [],
            "rejections": [],
            "overdue": False,
        }
        self._remember(request_id)

    def answer_rectification(
        self, order_id: str, answer: str, now: dt.datetime, actor: dict[str, str], request_id: str | None
    ) -> None:
        """The branch reports what it rectified (整改反馈)."""
        order = self._active_order(order_id)
        require(
            order["state"] in AWAITING_ANSWER,
            f"rectification {order_id} is {order['state']}; only an open or rejected order can be answered",
        )
        self._answered(
            project_id=self.project_id,
            order_id=order_id,
            answer=_text(answer, "answer"),
            at=now.isoformat(),
            late=now.date() > dt.date.fromisoformat(order["deadline"]),
            actor=actor,
            request_id=request_id,
        )
        self._recolour(now, actor, request_id)

    @event("RectificationAnswered")
    def _answered(
        self,
        project_id: str,
        order_id: str,
        answer: str,
        at: str,
        late: bool,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        order = self.rectifications[order_id]
        order["state"] = OrderState.ANSWERED.value
        order["answers"].append({"answer": answer, "at": at, "late": late, "by": dict(actor)})
        self._remember(request_id)

    def verify_rectification(
        self, order_id: str, now: dt.datetime, actor: dict[str, str], request_id: str | None
    ) -> None:
        """The inspector checks the answer and closes the order (核验销号)."""
        order = self._active_order(order_id)
        require(
            order["state"] == OrderState.ANSWERED,
            f"rectification {order_id} is {order['state']}; only an answered order can be verified",
        )
        self._verified(
            project_id=self.project_id, order_id=order_id, at=now.isoformat(), actor=actor, request_id=request_id
        )
        self._recolour(now, actor, request_id)

    @event("RectificationVerified")
    def _verified(self, project_id: str, order_id: str, at: str, actor: dict[str, str], request_id: str | None) -> None:
        self.rectifications[order_id]["state"] = OrderState.VERIFIED.value
        self._remember(request_id)

    def reject_rectification(
        self, order_id: str, reason: str, now: dt.datetime, actor: dict[str, str], request_id: str | None
    ) -> None:
        """The inspector finds the answer insufficient: the branch must answer again, by the same deadline."""
        order = self._active_order(order_id)
        require(
            order["state"] == OrderState.ANSWERED,
            f"rectification {order_id} is {order['state']}; only an answered order can be rejected",
        )
        self._rejected(
            project_id=self.project_id,
            order_id=order_id,
            reason=_text(reason, "reason"),
            at=now.isoformat(),
            actor=actor,
            request_id=request_id,
        )
        self._recolour(now, actor, request_id)

    @event("RectificationRejected")
    def _rejected(
        self, project_id: str, order_id: str, reason: str, at: str, actor: dict[str, str], request_id: str | None
    ) -> None:
        order = self.rectifications[order_id]
        order["state"] = OrderState.REJECTED.value
        order["rejections"].append({"reason": reason, "at": at})
        self._remember(request_id)

    def _active_order(self, order_id: str) -> dict[str, Any]:
        order = self.rectifications.get(order_id)
        if order is None:
            raise NotFound(f"project {self.project_id} has no rectification order '{order_id}'")
        require(not self.closed, "the project was withdrawn; its supervision is closed")
        return order

    # -- what the scheduler raises when a deadline passes --------------------------------------

    def raise_due_soon(
        self, milestone_id: str, due_soon_days: int, now: dt.datetime, actor: dict[str, str], request_id: str | None
    ) -> bool:
        c = self.checkpoints.get(milestone_id)
        if self.closed or c is None or c["met_on"] or c["due_soon"] or c["overdue"]:
            return False
        days_left = (dt.date.fromisoformat(c["due"]) - now.date()).days
        if not 0 <= days_left <= due_soon_days:
            return False
        self._due_soon(
            project_id=self.project_id,
            milestone_id=milestone_id,
            due=c["due"],
            days_left=days_left,
            actor=actor,
            request_id=request_id,
        )
        self._recolour(now, actor, request_id)
        return True

    @event("DueSoon")
    def _due_soon(
        self,
        project_id: str,
        milestone_id: str,
        due: str,
        days_left: int,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.checkpoints[milestone_id]["due_soon"] = True
        self._remember(request_id)

    def raise_milestone_overdue(
        self, milestone_id: str, now: dt.datetime, actor: dict[str, str], request_id: str | None
    ) -> bool:
        c = self.checkpoints.get(milestone_id)
        if self.closed or c is None or c["met_on"] or c["overdue"] or now.date() <= dt.date.fromisoformat(c["due"]):
            return False
        self._milestone_overdue(
            project_id=self.project_id, milestone_id=milestone_id, due=c["due"], actor=actor, request_id=request_id
        )
        self._recolour(now, actor, request_id)
        return True

    @event("MilestoneOverdue")
    def _milestone_overdue(
        self, project_id: str, milestone_id: str, due: str, actor: dict[str, str], request_id: str | None
    ) -> None:
        self.checkpoints[milestone_id]["overdue"] = True
        self._remember(request_id)

    def raise_rectification_overdue(
        self, order_id: str, now: dt.datetime, actor: dict[str, str], request_id: str | None
    ) -> bool:
        order = self.rectifications.get(order_id)
        if (
            self.closed
            or order is None
            or order["overdue"]
            or order["state"] not in AWAITING_ANSWER
            or now.date() <= dt.date.fromisoformat(order["deadline"])
        ):
            return False
        self._rectification_overdue(
            project_id=self.project_id,
            order_id=order_id,
            deadline=order["deadline"],
            actor=actor,
            request_id=request_id,
        )
        self._recolour(now, actor, request_id)
        return True

    @event("RectificationOverdue")
    def _rectification_overdue(
        self, project_id: str, order_id: str, deadline: str, actor: dict[str, str], request_id: str | None
    ) -> None:
        self.rectifications[order_id]["overdue"] = True
        self._remember(request_id)

    # -- 三色预警 ------------------------------------------------------------------------------

    def _recolour(self, now: dt.datetime, actor: dict[str, str], request_id: str | None) -> None:
        colour, reasons = assess(self)
        if colour != self.colour:
            self._colour_changed(
                project_id=self.project_id,
                colour=colour,
                previous=self.colour,
                reasons=reasons,
                at=now.isoformat(),
                actor=actor,
                request_id=request_id,
            )

    @event("ColourChanged")
    def _colour_changed(
        self,
        project_id: str,
        colour: str,
        previous: str,
        reasons: list[str],
        at: str,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.colour = colour
        self.colour_history.append({"colour": colour, "previous": previous, "at": at, "reasons": list(reasons)})
        self._remember(request_id)
