"""python -m services.tasking.consumer: apply filing's events to this tasking instance."""

from services.tasking.config import TaskingSettings
from services.tasking.consumers import handlers
from services.tasking.main import SERVICE, build_application
from shared.messaging.consumer_main import run_consumer

if __name__ == "__main__":
    settings = TaskingSettings()
    run_consumer(SERVICE, settings, ("filing",), handlers(build_application(settings)))
