"""python -m services.filing.relay: publish this instance's events to Kafka."""

from services.filing.config import FilingSettings
from services.filing.main import SERVICE, build_application
from shared.messaging.relay_main import run_relay

if __name__ == "__main__":
    settings = FilingSettings()
    run_relay(SERVICE, settings, build_application(settings))
