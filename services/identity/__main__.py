"""python -m services.identity: serve the identity service (settings from VANGUARD_* variables)."""

from shared.serve import serve

serve("services.identity.main:create_app", "services.identity.config:IdentitySettings")
