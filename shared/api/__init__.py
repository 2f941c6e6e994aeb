"""HTTP conventions every service follows: problem details, auth, request ids, metrics."""

from shared.api.deps import CurrentPrincipal, RequestId, app_state
from shared.api.setup import create_service_app

__all__ = ["CurrentPrincipal", "RequestId", "app_state", "create_service_app"]
