"""HTTP conventions every service follows: problem details, auth, request ids, metrics."""

from shared.api.deps import CurrentPrincipal, RequestId
from shared.api.setup import create_service_app

__all__ = ["CurrentPrincipal", "RequestId", "create_service_app"]
