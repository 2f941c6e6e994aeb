"""python -m services.acceptance: serve the acceptance service (settings from VANGUARD_* variables)."""

from shared.serve import serve

serve("services.acceptance.main:create_app", "services.acceptance.config:AcceptanceSettings")
