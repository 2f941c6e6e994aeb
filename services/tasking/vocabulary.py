"""Tasking's terms: stable codes with their Chinese labels."""

from __future__ import annotations

from enum import StrEnum


class TaskState(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


TASK_STATE_LABELS = {TaskState.OPEN: "进行中", TaskState.DONE: "已完成", TaskState.CANCELLED: "已取消"}


class BoardState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


BOARD_STATE_LABELS = {BoardState.OPEN: "实施中", BoardState.CLOSED: "已关闭(项目撤回)"}
