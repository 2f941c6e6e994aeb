"""Turn an event store's notifications into integration-event envelopes."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any
from uuid import UUID

from shared.contracts import Envelope, event_id

if TYPE_CHECKING:
    from eventsourcing.application import Application
    from eventsourcing.persistence import Notification

_COMMON = {"originator_id", "originator_version", "originator_topic", "timestamp", "actor", "request_id"}
_SCOPE_CACHE = 100_000


class EnvelopeFactory:
    """Knows the source (service, instance) and where each aggregate belongs."""

    def __init__(self, app: Application[UUID], service: str, instance: str) -> None:
        self.app = app
        self.service = service
        self.instance = instance
        # aggregate id -> (department, branch); learnt from creation events, else looked up
        self._scopes: OrderedDict[UUID, tuple[str, str | None]] = OrderedDict()

    def envelope(self, notification: Notification) -> Envelope:
        domain_event = self.app.mapper.to_domain_event(notification)
        fields: dict[str, Any] = dict(domain_event.__dict__)
        aggregate_type, _, name = type(domain_event).__qualname__.rpartition(".")
        department, branch = self._scope(domain_event.originator_id, domain_event.originator_version, fields)
        payload = {k: v for k, v in fields.items() if k not in _COMMON}
        return Envelope(
            event_id=event_id(domain_event.originator_id, domain_event.originator_version),
            type=f"{self.service}.{aggregate_type}.{name}",
            aggregate_id=str(domain_event.originator_id),
            aggregate_type=aggregate_type,
            aggregate_version=domain_event.originator_version,
            department=department,
            branch=branch,
            actor=fields.get("actor") or {},
            request_id=fields.get("request_id"),
            occurred_at=domain_event.timestamp.isoformat(),
            source={"service": self.service, "instance": self.instance, "position": notification.id},
            payload=_jsonable(payload),
        )

    def _scope(self, aggregate_id: UUID, version: int, fields: dict[str, Any]) -> tuple[str, str | None]:
        if "department" in fields:
            scope = (str(fields["department"]), fields.get("branch"))
        elif aggregate_id in self._scopes:
            self._scopes.move_to_end(aggregate_id)
            return self._scopes[aggregate_id]
        else:
            aggregate = self.app.repository.get(aggregate_id, version=version)
            scope = (aggregate.department, getattr(aggregate, "branch", None))
        self._scopes[aggregate_id] = scope
        if len(self._scopes) > _SCOPE_CACHE:
            self._scopes.popitem(last=False)
        return scope


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
