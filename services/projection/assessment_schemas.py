"""Request bodies of the assessment: 加减分 and publications."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from shared.api.bodies import SINGLE_LINE, Strict


class ProposeAdjustment(Strict):
    """加减分: add (positive) or deduct (negative) points for a subject, with a reason and evidence."""

    subject_type: Literal["branch", "secretary", "department"]
    subject_id: Annotated[str, Field(min_length=1, max_length=64, examples=["fgw-b1"]), SINGLE_LINE]
    department: Annotated[str, Field(max_length=64), SINGLE_LINE] | None = Field(
        default=None, description="the subject's department, where codes repeat across departments"
    )
    points: Decimal = Field(ge=-1000, le=1000, examples=["2"], description="at most two decimals; not zero")
    reason: str = Field(min_length=1, max_length=500, examples=["获评全省抗洪救灾先进集体"])
    evidence: list[str] = Field(default_factory=list, max_length=20, examples=[["苏委〔2026〕12号"]])


class Decision(Strict):
    reason: str = Field(default="", max_length=500, description="why (required to reject)")


class Publish(Strict):
    reason: str = Field(
        default="", max_length=500, description="required for a correction (any publication after the first)"
    )
