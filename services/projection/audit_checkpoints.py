"""Every instance's signed checkpoints, as their chain followers recorded them (issue 12): kept
here, apart from the stores they vouch for, so a store whose checkpoints were cut away or rewritten
is still held to what it signed. `GET /audit/checkpoints` serves them to auditors (`./vanguard
audit verify --live` compares each store with them)."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
from fastapi import Query
from pydantic import Field

from shared.api import CurrentPrincipal, app_state
from shared.api.routes import service_router
from shared.auth import Role
from shared.contracts import Envelope
from shared.views import Moment, View

Pool = Annotated[asyncpg.Pool, app_state("pool")]
router = service_router()
SERVICES = ("filing", "tasking", "inspection", "acceptance")


async def checkpointed(conn: asyncpg.Connection, e: Envelope) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO audit_checkpoints (service, instance, position, head, at, signature, public_key, event_id) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (service, instance, position) DO NOTHING",
        e.source["service"],
        e.source["instance"],
        int(p["position"]),
        str(p["head"]),
        str(p["at"]),
        str(p["signature"]),
        str(p["public_key"]),
        e.event_id,
    )


HANDLERS = {f"{service}.AuditChain.Checkpointed": checkpointed for service in SERVICES}


class CheckpointView(View):
    service: str = Field(examples=["filing"])
    instance: str = Field(examples=["fgw"])
    position: int = Field(description="the last event position the checkpoint covers")
    head: str = Field(description="the chain's head after that event (SHA-256, hex)")
    at: Moment
    signature: str = Field(description="Ed25519 signature (base64) of the checkpoint's message")
    public_key: str = Field(description="the key the instance says it signed with (trust your own copy)")


@router.get("/audit/checkpoints", response_model=list[CheckpointView], tags=["audit"])
async def checkpoints(
    pool: Pool,
    who: CurrentPrincipal,
    service: Annotated[str | None, Query(max_length=100)] = None,
    instance: Annotated[str | None, Query(max_length=100)] = None,
    after: Annotated[int, Query(ge=0, le=2**63 - 1, description="only checkpoints past this position")] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[dict[str, Any]]:
    """Signed checkpoints of the instances' hash chains, by instance and position (auditor, admin)."""
    who.require_role(Role.AUDITOR, Role.ADMIN)
    rows = await pool.fetch(
        "SELECT service, instance, position, head, at, signature, public_key FROM audit_checkpoints "
        "WHERE ($1::text IS NULL OR service = $1) AND ($2::text IS NULL OR instance = $2) AND position > $3 "
        "ORDER BY service, instance, position LIMIT $4",
        service,
        instance,
        after,
        limit,
    )
    return [dict(r) for r in rows]
