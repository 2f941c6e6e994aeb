"""python -m services.inspection.relay: publish inspection's events to Kafka."""

from services.inspection.config import InspectionSettings
from services.inspection.main import SERVICE, build_application
from shared.messaging.relay_main import run_relay

if __name__ == "__main__":
    settings = InspectionSettings()
    run_relay(SERVICE, settings, build_application(settings))
