"""python -m services.inspection.consumer: follow filing and tasking, and raise what falls due.

Beside the Kafka consumer run the deadline follower and the scheduler; any number of these
processes may run at once (see services.inspection.scheduler).
"""

from services.inspection.config import InspectionSettings
from services.inspection.handlers import handler
from services.inspection.main import SERVICE, build_application
from services.inspection.scheduler import DeadlineFollower, DeadlineScheduler
from shared.messaging.consumer_main import run_consumer

if __name__ == "__main__":
    settings = InspectionSettings()
    app = build_application(settings)
    run_consumer(
        SERVICE,
        settings,
        follows=("filing", "tasking"),
        handler=handler(app),
        tasks=(DeadlineFollower(app).run, DeadlineScheduler(app, interval=settings.scheduler_interval_seconds).run),
    )
