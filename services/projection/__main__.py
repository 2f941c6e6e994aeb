"""python -m services.projection: serve the projection (settings from VANGUARD_* variables)."""

from shared.serve import serve

serve("services.projection.main:create_app", "services.projection.config:ProjectionSettings")
