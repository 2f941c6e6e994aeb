"""python -m services.identity.relay: publish the identity service's events to Kafka."""

from services.identity.config import IdentitySettings
from services.identity.main import SERVICE, build_application
from shared.messaging.relay_main import run_relay

if __name__ == "__main__":
    settings = IdentitySettings()
    run_relay(SERVICE, settings, build_application(settings))
