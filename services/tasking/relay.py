"""python -m services.tasking.relay: publish this instance's events to Kafka."""

from services.tasking.config import TaskingSettings
from services.tasking.main import SERVICE, build_application
from shared.messaging.relay_main import run_relay

if __name__ == "__main__":
    settings = TaskingSettings()
    run_relay(SERVICE, settings, build_application(settings))
