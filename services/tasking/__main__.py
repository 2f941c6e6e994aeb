"""python -m services.tasking: serve a tasking instance (settings from VANGUARD_* variables)."""

from shared.serve import serve

serve("services.tasking.main:create_app", "services.tasking.config:TaskingSettings")
