"""python -m services.acceptance.relay: publish the acceptance service's events to Kafka."""

from services.acceptance.config import AcceptanceSettings
from services.acceptance.main import SERVICE, build_application
from shared.messaging.relay_main import run_relay

if __name__ == "__main__":
    settings = AcceptanceSettings()
    run_relay(SERVICE, settings, build_application(settings))
