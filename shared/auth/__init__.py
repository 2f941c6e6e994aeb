"""Identity and access: bearer JWTs carrying a role, a department and a branch."""

from shared.auth.principal import ROLE_LABELS, Principal, Role
from shared.auth.tokens import TokenIssuer, TokenVerifier

__all__ = ["ROLE_LABELS", "Principal", "Role", "TokenIssuer", "TokenVerifier"]
