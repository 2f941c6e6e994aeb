"""Errors a user can cause, each with the HTTP status it maps to and a message they understand."""

from __future__ import annotations

from typing import Any


class VanguardError(Exception):
    """Base of every error we answer with a problem-details body."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(VanguardError):
    status = 422
    code = "invalid_input"


class NotAuthenticated(VanguardError):
    status = 401
    code = "not_authenticated"


class Forbidden(VanguardError):
    status = 403
    code = "forbidden"


class NotFound(VanguardError):
    status = 404
    code = "not_found"


class InvalidTransition(VanguardError):
    """The command is not allowed in the aggregate's current state (lifecycle rule)."""

    status = 409
    code = "invalid_transition"


class StaleVersion(VanguardError):
    """The client's expected version is behind the aggregate's (optimistic concurrency)."""

    status = 409
    code = "stale_version"


class TooManyRequests(VanguardError):
    """A client sent more than its share (e.g. public feedback per minute)."""

    status = 429
    code = "too_many_requests"


class Busy(VanguardError):
    """Too many concurrent changes to one aggregate: retrying later will work."""

    status = 503
    code = "busy"


class NotServed(VanguardError):
    """This service instance does not serve the department named in the command."""

    status = 421
    code = "department_not_served"


class Awaiting(Exception):
    """The command refers to something this service has not heard of yet (say a project whose
    approval is still on its way on another topic): the consumer lets the event wait and retries it
    after later events. Not an HTTP error: it never reaches a client."""

    def __init__(self, dependency: str) -> None:
        super().__init__(dependency)
        self.dependency = dependency
