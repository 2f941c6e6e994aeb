"""python -m services.acceptance.consumer: follow filing, tasking and inspection; seal ended notices."""

from services.acceptance.config import AcceptanceSettings
from services.acceptance.consumers import handlers
from services.acceptance.main import SERVICE, build_application
from services.acceptance.sealer import NoticeSealer
from shared.messaging.consumer_main import run_consumer

if __name__ == "__main__":
    settings = AcceptanceSettings()
    app = build_application(settings)
    run_consumer(
        SERVICE,
        settings,
        ("filing", "tasking", "inspection"),
        handlers(app),
        tasks=(NoticeSealer(app, settings.sealer_interval_seconds).run,),
    )
