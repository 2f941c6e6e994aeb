"""三色预警 and the deadlines behind it: pure functions of a supervision's state.

The colour, most severe first: red if an unmet milestone is overdue or an unverified
rectification is overdue; yellow if a rectification is not yet verified or an unmet milestone's
latest rating is lagging or at risk; blue if an unmet milestone's due-soon warning was raised;
otherwise green. Dates are calendar dates in the programme's timezone.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from services.inspection.vocabulary import RATING_LABELS, Colour, DeadlineKind, OrderState, Rating

if TYPE_CHECKING:
    from services.inspection.domain import Supervision

AWAITING_ANSWER = (OrderState.OPEN.value, OrderState.REJECTED.value)  # the branch's turn
ON_TRACK = "各节点正常推进 / every milestone on track"


def assess(supervision: Supervision) -> tuple[str, list[str]]:
    """The colour the state calls for, with its reasons (Chinese / English)."""
    unmet = [c for c in supervision.checkpoints.values() if not c["met_on"]]
    unverified = [o for o in supervision.rectifications.values() if o["state"] != OrderState.VERIFIED]
    red = [
        f"节点「{c['title']}」逾期未完成(应于{c['due']}完成) / milestone '{c['title']}' overdue (due {c['due']})"
        for c in unmet
        if c["overdue"]
    ]
    red += [
        f"整改单{o['order_id']}逾期未整改到位(期限{o['deadline']}) / rectification {o['order_id']} overdue "
        f"(deadline {o['deadline']})"
        for o in unverified
        if o["overdue"]
    ]
    if red:
        return Colour.RED.value, red
    yellow = [f"整改单{o['order_id']}尚未核验销号 / rectification {o['order_id']} not yet verified" for o in unverified]
    yellow += [
        f"节点「{c['title']}」督查评定为{RATING_LABELS[Rating(c['rating'])]} / milestone '{c['title']}' "
        f"rated {c['rating']}"
        for c in unmet
        if c["rating"] in (Rating.LAGGING, Rating.AT_RISK)
    ]
    if yellow:
        return Colour.YELLOW.value, yellow
    blue = [
        f"节点「{c['title']}」临近到期({c['due']}) / milestone '{c['title']}' due soon ({c['due']})"
        for c in unmet
        if c["due_soon"]
    ]
    if blue:
        return Colour.BLUE.value, blue
    return Colour.GREEN.value, [ON_TRACK]


def pending_deadlines(
    supervision: Supervision, due_soon_days: int, tz: dt.tzinfo
) -> list[tuple[str, str, dt.datetime]]:
    """(kind, ref, due_at) of every warning still to raise: a date's deadline passes at the start of
    the next day in the programme's timezone; due-soon starts `due_soon_days` before the due date."""
    if supervision.closed:
        return []

    def start_of(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time.min, tzinfo=tz)

    one_day = dt.timedelta(days=1)
    pending = []
    for mid, c in supervision.checkpoints.items():
        if c["met_on"] or c["overdue"]:
            continue
        due = dt.date.fromisoformat(c["due"])
        if not c["due_soon"]:
            pending.append((DeadlineKind.DUE_SOON.value, mid, start_of(due - dt.timedelta(days=due_soon_days))))
        pending.append((DeadlineKind.MILESTONE_OVERDUE.value, mid, start_of(due + one_day)))
    for oid, order in supervision.rectifications.items():
        if order["state"] in AWAITING_ANSWER and not order["overdue"]:
            pending.append(
                (
                    DeadlineKind.RECTIFICATION_OVERDUE.value,
                    oid,
                    start_of(dt.date.fromisoformat(order["deadline"]) + one_day),
                )
            )
    return pending
