"""The trust boundary between departments, as every consumer keeps it (issue 13).

Each department's filing and tasking instances are run by that department (one instance may serve
several). The registry's events say which instance serves which department: for filing, the
instance a department was registered through (`filing.Department.Registered`, from that instance's
topic); for tasking, the instance that started the department's roster (`tasking.Roster.Started`,
which a tasking instance records when filing's registry names a department it serves). The first
such event for a department fixes its instance. An event from a filing or tasking instance about a
department another instance of that service serves is applied by no consumer: it is dead-lettered
with the reason, counted (`vanguard_dead_letters_total{reason="foreign_department"}`) and logged.
The city-wide services (inspection, acceptance) serve every department.

What an event says of its own source is checked against the topic it came from (`source_of_topic`),
so the check rests on the topic, which only that instance's relay writes to.
"""

from __future__ import annotations

import asyncpg

from shared.contracts import Envelope

SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox_served (
    service text NOT NULL,
    department text NOT NULL,
    instance text NOT NULL,
    registered_by uuid NOT NULL,
    PRIMARY KEY (service, department)
);
"""
# services whose instances each serve some departments -> the event that says an instance serves one
REGISTERED = {"filing": "filing.Department.Registered", "tasking": "tasking.Roster.Started"}


class Refused(Exception):
    """An event its source may not send: the message says why."""


def source_of_topic(topic: str) -> tuple[str, str] | None:
    """(service, instance) of a relay's topic `<prefix>.<service>.<instance>`."""
    parts = topic.rsplit(".", 2)
    return (parts[1], parts[2]) if len(parts) == 3 else None


def misattributed(envelope: Envelope, topic: str) -> str | None:
    """Why an event does not belong on the topic it came from, or None."""
    came_from = source_of_topic(topic)
    claimed = (envelope.source.get("service"), envelope.source.get("instance"))
    if came_from is not None and claimed != came_from:
        return f"the event names its source {claimed[0]}/{claimed[1]} but came from the topic of {'/'.join(came_from)}"
    return None


class Boundary:
    """Which instance serves which department, as this consumer has learnt it from the registry's
    events (kept in its own database, cached in memory)."""

    def __init__(self) -> None:
        self._served: dict[tuple[str, str], str] | None = None

    async def refusal(self, conn: asyncpg.Connection, envelope: Envelope) -> str | None:
        """Why the event must not be applied here, or None. A registration is recorded as it passes."""
        service, instance = envelope.source.get("service"), envelope.source.get("instance")
        department = envelope.department
        if service not in REGISTERED or not department:
            return None
        if self._served is None:
            rows = await conn.fetch("SELECT service, department, instance FROM inbox_served")
            self._served = {(r["service"], r["department"]): r["instance"] for r in rows}
        key = (service, department)
        serving = self._served.get(key)
        if serving is None and envelope.type == REGISTERED[service]:
            await conn.execute(
                "INSERT INTO inbox_served (service, department, instance, registered_by) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (service, department) DO NOTHING",
                service,
                department,
                instance,
                envelope.event_id,
            )
            serving = await conn.fetchval(
                "SELECT instance FROM inbox_served WHERE service = $1 AND department = $2", service, department
            )
            self._served[key] = serving
        if serving is None or serving == instance:
            return None  # served by its sender, or not registered (nothing known contradicts it)
        return (
            f"department '{department}' is served by the {service} instance '{serving}', "
            f"not by '{instance}', which sent this {envelope.type}"
        )

    def forget(self) -> None:
        """Drop the cache (a transaction that recorded a registration was rolled back)."""
        self._served = None
