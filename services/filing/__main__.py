"""python -m services.filing: serve a filing instance (settings from VANGUARD_* variables)."""

from shared.serve import serve

serve("services.filing.main:create_app", "services.filing.config:FilingSettings")
