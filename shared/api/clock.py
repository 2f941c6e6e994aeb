"""GET /clock and POST /admin/clock on every service: one programme clock, read and moved alike.

The programme's time is no secret (public notices close by it), so reading it needs no token;
moving it needs an admin and a service started with VANGUARD_CLOCK=manual. Services started with
the same VANGUARD_CLOCK_DSN (./vanguard up gives them one) share the clock: moved on any, moved on all.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Request
from pydantic import BaseModel, Field

from shared.api.bodies import ProgrammeTime, Strict
from shared.api.deps import CurrentPrincipal
from shared.api.routes import service_router
from shared.clock import ProgrammeClock
from shared.errors import NotFound

router = service_router()  # sync routes in bridge greenlets: a manual clock is read from its database


class SetClock(Strict):
    now: Annotated[ProgrammeTime, Field(description="ISO datetime; without an offset, the programme's timezone")]


class ClockView(BaseModel):
    clock: str = Field(description="system, or manual (moved by an admin)", examples=["manual"])
    timezone: str = Field(examples=["Asia/Shanghai"])
    now: dt.datetime
    today: dt.date


def programme_clock(app: Any) -> ProgrammeClock | None:
    """The service's programme clock: its application's, or one of its own (the projection's)."""
    own = getattr(app.state, "programme_clock", None)
    if own is not None:
        return own
    return next((a.programme for a in app.state.applications if hasattr(a, "programme")), None)


def _application(request: Request) -> ProgrammeClock:
    found = programme_clock(request.app)
    if found is None:
        raise NotFound("this service keeps no programme clock; ask filing, tasking, inspection or acceptance")
    return found


def _view(clock: ProgrammeClock) -> ClockView:
    now = clock.now()
    return ClockView(clock=clock.clock.kind, timezone=str(clock.tz), now=now, today=now.date())


@router.get("/clock", tags=["clock"])
def get_clock(request: Request) -> ClockView:
    """The programme's clock: its kind, timezone, time and date (no token needed)."""
    return _view(_application(request))


@router.post("/admin/clock", tags=["clock"])
def set_clock(body: SetClock, request: Request, who: CurrentPrincipal) -> ClockView:
    """Move the manual clock (admin); 409 when the service runs on the system clock."""
    clock = _application(request)
    clock.set(who, body.now)
    return _view(clock)
