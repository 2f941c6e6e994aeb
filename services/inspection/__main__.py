"""python -m services.inspection: serve the inspection API (settings from VANGUARD_* variables)."""

from shared.serve import serve

serve("services.inspection.main:create_app", "services.inspection.config:InspectionSettings")
